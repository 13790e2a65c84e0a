"""`newswatch run` command."""
