"""newswatch: a news-monitoring crawler with keyword rules and alerts.

Shared pieces live here: configuration (`config`), data classes (`models`),
storage (`storage`), URL identity (`urls`) and the command line (`cli`).
"""

import os

__version__ = "0.1.0"

# Set before numpy is first imported (story signatures use it, for no linear algebra): OpenBLAS would
# start a thread per core in every process, a quarter second of CPU per crawl and idle threads in the engine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
