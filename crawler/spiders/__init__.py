"""The news spider and the parsers of the three kinds of source: feeds, sitemaps and listing pages."""
