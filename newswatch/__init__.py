"""newswatch: a news-monitoring crawler with keyword rules and alerts.

Shared pieces live here: configuration (`config`), data classes (`models`),
storage (`storage`), URL identity (`urls`) and the command line (`cli`).
"""

__version__ = "0.1.0"
