"""`newswatch status` command."""
