"""`newswatch demo` command."""
