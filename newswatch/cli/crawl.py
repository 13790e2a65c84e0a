"""`newswatch crawl` command."""
