"""`newswatch export` command."""
