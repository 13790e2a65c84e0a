"""`newswatch rules` commands."""
