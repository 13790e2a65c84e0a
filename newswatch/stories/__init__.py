"""One story, one alert: exact copies, near-duplicates and retellings of one report grouped into stories.

signatures.py computes what is compared (pure), index.py stores it and assigns stories,
listing.py answers "who else reported this".
"""

from newswatch.stories.index import StoryAssignment, StoryIndex
from newswatch.stories.listing import StorySummary, list_stories, story_outlets
from newswatch.stories.signatures import content_hash

__all__ = ["StoryAssignment", "StoryIndex", "StorySummary", "content_hash", "list_stories", "story_outlets"]
