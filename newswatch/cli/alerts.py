"""`newswatch alerts` commands."""
