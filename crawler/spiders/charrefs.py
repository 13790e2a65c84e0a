"""Numeric character references that name no character, replaced before an XML parser sees them.

feedparser raises on `&#xD800;` (a surrogate) or `&#9999999;` and refuses the whole feed; lxml
raises while reading the element that holds one, in the middle of a sitemap. One bad title or URL
must cost that title or URL, not the listing.
"""

from __future__ import annotations

import re

_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")


def without_bad_charrefs(body: bytes) -> bytes:
    """`body` with every reference to a surrogate or to a code point past U+10FFFF made U+FFFD."""
    return _CHARREF.sub(_valid, body) if b"&#" in body else body


def _valid(match: re.Match[bytes]) -> bytes:
    code = int(match[1], 16) if match[1] else int(match[2])
    return match[0] if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD;"
