"""Held-out fixture outlets (same API as tests/outlets.py): templates nobody tunes on, for bench/outlets.py.

Written after the three tuning outlets and unlike them: utility-class (Tailwind) markup, and a React app with
hashed class names. Do not tune extraction on these pages; look at their figures only.

Their articles, teasers, plain values and markup patterns (page, menu, paragraph, card, ...) are data,
bench/data/outlets/<name>.json, read at import with tests/outlets.py's load_outlet(); what is code stays
here: the path schemes, the hashed classes and the link patterns.
"""

from __future__ import annotations

import hashlib
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.outlets import (  # noqa: E402
    Page,
    article_paths,
    build_site,
    feed,
    load_outlet,
    outlet,
    register,
)


# ---------------------------------------------------------------- Kestrel Wire: Tailwind utility classes


def _kestrel_path(section: str, when: datetime, slug: str) -> str:
    # wire-style URL: slug plus a numeric id, no date or section
    number = int(hashlib.sha1(slug.encode()).hexdigest(), 16) % 900000 + 100000
    return f"/news/{slug}-{number}"


# ---------------------------------------------------------------- Northstar Daily: React app, hashed class names
# (`{css[role]}` in its patterns is the role's hashed classes; the body comes in chunks of three pieces, each in
# its own wrapper, as React article renderers do)


def _css(role: str) -> str:
    """A stable emotion-style class pair for a role: "css-1x9abq e1f4mzk0"; the role name never shows."""
    digest = hashlib.sha1(f"northstar:{role}".encode()).hexdigest()
    return f"css-{int(digest[:8], 16):x}"[:10] + f" e{int(digest[8:14], 16) % 36**5:x}0"


class _HashedClasses:
    """What `{css[role]}` in a pattern stands for: the role's hashed class pair."""

    def __getitem__(self, role: str) -> str:
        return _css(role)


def _northstar_fields(page: Page) -> dict[str, object]:
    """The hashed classes, and the paragraph's first class, which the inline style rule selects."""
    return {"css": _HashedClasses(), "p_class": _css("p").split()[0]}


def _northstar_path(section: str, when: datetime, slug: str) -> str:
    return f"/articles/{when:%Y/%m/%d}/{slug}/"


# ---------------------------------------------------------------- the outlets: data files, markup from above

# Each outlet's stories, teasers, plain values and markup patterns are in bench/data/outlets/<name>.json,
# which the test suite never reads.
DATA = Path(__file__).resolve().parent / "data" / "outlets"
KESTREL_WIRE = load_outlet(
    DATA / "kestrel-wire.json",
    _kestrel_path,
    link='<a class="font-medium text-sky-700 underline underline-offset-2" href="{href}">{text}</a>',
)
NORTHSTAR_DAILY = load_outlet(
    DATA / "northstar-daily.json",
    _northstar_path,
    _northstar_fields,
    link=f'<a class="{_css("link")}" href="{{href}}">{{text}}</a>',
    absolute_links=True,
)


# ---------------------------------------------------------------- the same API as tests/outlets.py

OUTLETS = register(KESTREL_WIRE, NORTHSTAR_DAILY)
__all__ = ["OUTLETS", "article_paths", "build_site", "feed", "outlet"]
