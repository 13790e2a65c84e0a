"""Exceptions that the command line turns into one clear line."""


class NewswatchError(Exception):
    """A failure the user can act on; its message is printed as is."""


class ConfigError(NewswatchError):
    """The configuration is invalid; the message names the file and key."""


class UsageError(NewswatchError):
    """The command was asked for something it refuses (an existing file without --force); exit status 2."""
