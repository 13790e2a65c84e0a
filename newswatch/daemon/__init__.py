"""The daemon's parts below scheduler.py: the engine's supervisor, its state on disk, source health,
triggers and metrics. scheduler.py puts them together."""
