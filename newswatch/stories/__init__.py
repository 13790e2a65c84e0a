"""One story, one alert: exact copies, near-duplicates and retellings of one report grouped into stories.

signatures.py computes what is compared (pure), index.py stores it and assigns stories,
listing.py answers "who else reported this".
"""
