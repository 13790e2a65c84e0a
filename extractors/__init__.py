"""HTML page → clean article text and metadata (a Document), or a Skip with its reason.

Entry point: extractors.article.Extractor (and extract_text for the extraction benchmark).
"""
