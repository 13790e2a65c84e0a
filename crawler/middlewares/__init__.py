"""Downloader middlewares: robots.txt that holds under concurrency, conditional GET, retry backoff."""
