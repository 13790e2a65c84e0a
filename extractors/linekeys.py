"""How the extraction stages compare a line of text with another line or with an element of the page."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_TOKEN = re.compile(r"\w+")


def line_key(text: str) -> str:
    """Its words, lower case: trafilatura writes list items as "- …" and spaces inline elements apart."""
    return " ".join(_TOKEN.findall(text.casefold()))


def squash(text: str) -> str:
    """Whitespace runs made one space."""
    return " ".join(text.split())


def element_words(element: HtmlElement) -> int:
    return len(element.text_content().split())
