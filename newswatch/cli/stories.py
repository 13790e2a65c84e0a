"""`newswatch stories` commands."""
