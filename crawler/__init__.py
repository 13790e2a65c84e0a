"""Fetching with Scrapy: spiders, middlewares, pipelines and settings built from config.toml."""
