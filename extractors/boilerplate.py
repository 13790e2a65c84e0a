"""Remove the boilerplate lines that survive trafilatura: ad labels, read-more links, related-news blocks, forms.

Two kinds of rule, both working on text lines:

* Patterns: every match is cut out of the line, and a line left without a word goes. Anchored patterns
  (``^…$``) drop whole lines ("ADVERTISEMENT", "Read more: <headline>", "⋙ <headline>", "source site-3");
  unanchored ones cut markers glued into a sentence ("More under this adNorth Korea could…"). Extra patterns
  from the config work the same way.
* Trailing blocks: a marker line ("More Related News", "Leave a Comment", "Tags") starts a block that runs
  over the list-like lines after it (headlines, dates, teasers ending in "…", form labels, a tag list) and
  ends at the first line of prose, which is kept. When no prose follows, everything after the marker goes.

"Sources used:" / "Sources:" lists stay: they are the author's attribution, part of the article.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_PATTERNS: tuple[str, ...] = (
    r"(?i:More under this ad)",
    r"(?i:Click to tweet)",
    r"(?i)^\W*(advertisement|advertising|sponsored( content)?|ads?|anzeige|werbung|publicidad|publicité|реклама|광고)\W*$",
    r"(?i)^\W*discover our latest podcast\W*$",
    r"(?i)^\W*(read (more|next|also)|see (more|also)|also read|don'?t miss)\W*$",
    # a single read-more link: label, separator, headline ("Read more ⋙ …", "[Related: …]", "READ MORE: …")
    r"(?i)^\W*(read (more|next|also)|see (more|also)|also read|more from|don'?t miss"
    r"|related( posts?| articles?| stories| content| coverage)?)\s*[:⋙»›|>–—-].*$",
    r"^\s*[⋙►▸➤].*$",
    r"(?i)^\W*real time analytics\W*$",
    r"(?i)^\W*source site-\d+\W*$",
    r"(?i)^\W*(tags|tagged( with)?|topics|keywords|filed under)\s*:.{0,200}$",
    r"(?i)^\W*(cancel reply|post comment|submit comment|comments are closed|comments powered by disqus"
    r"|comment on this story|your email address will not be published|required fields are marked"
    r"|save my name, email,? and website|notify me of (new|follow-up))\b.{0,200}$",
    r"(?i)^\W*(share (this|on)\b.{0,80}|(subscribe|sign up)\b.{0,200}|click here\b.{0,160}|follow us\b.{0,80})$",
    # a copyright line, not a sentence about copyright: the sign or a year comes first
    r"(?i)^\W*(©|ⓒ|copyright\s*(©|ⓒ|\(c\))|(copyright|\(c\))\s*\d{4}).{0,200}$",
    r"(?i)^.{0,120}\ball rights reserved\b\W*$",
)

# A block marker, the whole line; the flag says whether a teaser paragraph after a headline belongs to the block.
DEFAULT_BLOCKS: tuple[tuple[str, bool], ...] = (
    (
        r"(?i)^\W*((more )?(related|recommended|similar|suggested)( news| articles?| stories| posts| content| coverage"
        r"| reading| topics| videos)?|you (may|might) also like|more (news |stories )?from .{1,40}|more (news|stories)"
        r"|most (read|popular|viewed)( .{1,40})?|trending( now)?|top (news|stories)(: .{1,30})?|latest news)\W*$",
        True,
    ),
    (
        r"(?i)^\W*(leave a (comment|reply)|post a comment|add (a|your) comment|join the (conversation|discussion)"
        r"|\d* ?comments?( \(\d+\))?|(show|view) comments)\W*$",
        False,
    ),
    (r"(?i)^\W*(tags|tagged( with)?|topics|keywords|filed under)\W*$", False),
)

TEASER_MAX_WORDS = 40  # a related-news teaser is a sentence or two; an article paragraph is usually longer

_SENTENCE_END = re.compile(r"[.!?。！？][\"'”’»)\]]*$")
_BULLETS = ("•", "·", "▪", "◦")
_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class _Block:
    marker: re.Pattern[str]
    teasers: bool


class Boilerplate:
    """Compiled cleaning rules: built once from the config, then applied to every page (picklable)."""

    def __init__(self, extra_patterns: Sequence[str] = (), defaults: bool = True) -> None:
        patterns = (*DEFAULT_PATTERNS, *extra_patterns) if defaults else tuple(extra_patterns)
        self._patterns = tuple(re.compile(p) for p in patterns)
        self._blocks = tuple(_Block(re.compile(m), t) for m, t in DEFAULT_BLOCKS) if defaults else ()

    def clean(self, lines: Iterable[str]) -> list[str]:
        """The lines that are article text, stripped, in order."""
        remaining = [line for line in map(self._cut_patterns, lines) if line]
        kept: list[str] = []
        i = 0
        while i < len(remaining):
            block = next((b for b in self._blocks if b.marker.match(remaining[i])), None)
            if block is None:
                kept.append(remaining[i])
                i += 1
            else:
                i = _block_end(remaining, i, block.teasers)
        return kept

    def _cut_patterns(self, line: str) -> str:
        for pattern in self._patterns:
            line = pattern.sub("", line)
        line = line.strip()
        return line if _WORD.search(line) else ""


def _is_prose(line: str) -> bool:
    """A finished sentence: ends in sentence punctuation (quotes allowed), not in a truncating ellipsis."""
    return bool(_SENTENCE_END.search(line)) and not _is_truncated(line)


def _is_truncated(line: str) -> bool:
    return line.endswith(("...", "…"))


def _block_end(lines: Sequence[str], marker: int, teasers: bool) -> int:
    """Index of the first line after the block that starts at lines[marker].

    The block takes every line that is not prose (headlines, bylines, dates, labels). With `teasers`, it also
    takes a short paragraph right after a headline, but only once the block has shown that it is a list of
    teasers (a truncated teaser, a bullet line, a headline printed twice): without that evidence a paragraph
    after a headline-like line is the article going on after a subheading.
    """
    after_headline = list_like = False
    i = marker + 1
    while i < len(lines):
        line = lines[i]
        list_like = list_like or _is_truncated(line) or line.startswith(_BULLETS) or line == lines[i - 1]
        if not _is_prose(line):
            after_headline = not _is_truncated(line)
        elif teasers and after_headline and list_like and len(line.split()) <= TEASER_MAX_WORDS:
            after_headline = False
        else:
            break
        i += 1
    return i
