"""Extraction end to end on hand-written pages: clean text, metadata, skip reasons, configurable patterns.

The fixtures mark what must come out (data-body) and what must not (data-boilerplate); see their README.
"""

from __future__ import annotations

import pickle
import re
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import lxml.html
import pytest
import trafilatura

from extractors.article import Extractor, extract_text
from newswatch.config import ExtractionConfig
from newswatch.models import Document, Skip

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
ARTICLES = ["brigades.html", "shells.html", "russian.html", "korean.html", "video_article.html"]
BRIGADES_URL = "https://ledger.example/world/2024/10/18/north-korea-construction-brigades-donetsk?ref=home"
SHELLS_URL = "https://frontline-monitor.example/2024/11/02/rail-cars-of-shells"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def squash(text: str) -> str:
    return " ".join(text.split())


def body_sentences(html: str) -> list[str]:
    """Sentences of the data-body elements, without the boilerplate glued into them."""
    tree = lxml.html.fromstring(html)
    for marker in tree.xpath("//*[@data-boilerplate]"):
        marker.drop_tree()
    paragraphs = [squash(element.text_content()) for element in tree.xpath("//*[@data-body]")]
    return [s for p in paragraphs for s in re.split(r"(?<=[.!?。])\s+", p) if s]


def marker_texts(html: str, attribute: str = "data-boilerplate") -> list[str]:
    return [squash(element.text_content()) for element in lxml.html.fromstring(html).xpath(f"//*[@{attribute}]")]


@pytest.mark.parametrize("name", ARTICLES)
def test_every_body_sentence_is_kept_and_every_marker_removed(name):
    html = fixture(name)
    result = Extractor().extract(html, f"https://example.org/{name}")
    assert isinstance(result, Document), result
    text = squash(result.text)
    for sentence in body_sentences(html):
        assert sentence in text
    for marker in marker_texts(html):
        assert marker not in text, f"{marker!r} leaked"


@pytest.mark.parametrize(("name", "leaks"), [("brigades.html", 10), ("shells.html", 7), ("russian.html", 3)])
def test_fixture_boilerplate_gets_past_plain_trafilatura(name, leaks):
    # otherwise the test above would pass without our cleaning doing anything
    html = fixture(name)
    plain = squash(trafilatura.extract(html, favor_precision=True, include_comments=False))
    leaked = [marker for marker in marker_texts(html) if marker in plain]
    assert len(leaked) >= leaks, leaked


def test_text_is_one_paragraph_per_line_without_the_title():
    html = fixture("shells.html")
    lines = extract_text(html, SHELLS_URL).split("\n")
    # trafilatura starts this page's text with the <h1>; the Document has it as its title already
    assert lines[0].startswith("Freight trains loaded with artillery shells have crossed the Tumen River bridge")
    assert "Rail cars of shells cross from North Korea into Russia, monitors say" not in lines
    sources = "Sources: satellite imagery from commercial providers, statements by Ukrainian military intelligence, "
    assert sources + "reporting by Yonhap." in lines
    assert lines == Extractor().extract(html, SHELLS_URL).text.split("\n")


def test_metadata_from_meta_tags_and_json_ld():
    document = Extractor().extract(fixture("brigades.html"), BRIGADES_URL)
    assert document.title == "North Korea readies construction brigades for Russian-held Donetsk"
    assert document.author == "Mira Kovalenko"
    assert document.published == datetime(2024, 10, 18, 9, 30, tzinfo=timezone(timedelta(hours=9)))
    assert document.language == "en"
    # the page declares a relative canonical link: made absolute against the page's URL
    assert document.canonical_url == "https://ledger.example/world/2024/10/18/north-korea-construction-brigades-donetsk"


def test_metadata_from_byline_og_url_and_a_bare_date():
    document = Extractor().extract(fixture("shells.html"), SHELLS_URL + "?utm_source=feed")
    assert document.title == "Rail cars of shells cross from North Korea into Russia, monitors say"  # <h1>, not <title>
    assert document.author == "Daniel Osei"
    assert document.published == datetime(2024, 11, 2, tzinfo=timezone.utc)
    assert document.published.tzinfo is not None
    assert document.canonical_url == SHELLS_URL


def test_page_without_canonical_link_has_none():
    document = Extractor().extract(fixture("russian.html"), "https://vestnik.example/2024/11/05/stroiteli")
    assert document.canonical_url is None


@pytest.mark.parametrize(("name", "language"), [("russian.html", "ru"), ("korean.html", "ko")])
def test_language_comes_from_the_text(name, language):
    # russian.html declares <html lang="en"> (a template left unchanged); korean.html declares nothing
    document = Extractor().extract(fixture(name), f"https://example.org/{name}")
    assert document.language == language


@pytest.mark.parametrize(
    ("name", "reason"),
    [("listing.html", "listing"), ("video.html", "video"), ("brief.html", "too-short"), ("about.html", "static-page")],
)
def test_pages_that_are_not_articles_are_skipped_with_a_reason(name, reason):
    assert Extractor().extract(fixture(name), f"https://ledger.example/{name}") == Skip(reason)


def test_a_long_article_marked_video_is_still_an_article():
    # video_article.html: og:type video.other and a player, but six paragraphs of reporting
    assert isinstance(Extractor().extract(fixture("video_article.html"), "https://ledger.example/v"), Document)


def test_a_player_with_little_text_is_a_video_page_without_og_type():
    html = fixture("video.html").replace('<meta property="og:type" content="video.other">', "")
    assert Extractor().extract(html, "https://ledger.example/video") == Skip("video")


def test_min_words_decides_what_is_too_short():
    document = Extractor(ExtractionConfig(min_words=20)).extract(fixture("brief.html"), "https://ledger.example/b")
    assert isinstance(document, Document)
    assert document.text.startswith("South Korea's foreign ministry summoned the Russian ambassador")


@pytest.mark.parametrize("html", ["", "<html><body><script>renderApp()</script></body></html>"])
def test_a_page_without_text_has_no_content(html):
    assert Extractor().extract(html, "https://ledger.example/app") == Skip("no-content")
    assert extract_text(html, "https://ledger.example/app") == ""


def test_extra_pattern_removes_a_custom_marker():
    html = fixture("shells.html")
    (custom,) = marker_texts(html, "data-custom-marker")
    assert custom in Extractor().extract(html, SHELLS_URL).text
    config = ExtractionConfig(boilerplate_patterns=(r"^Reporting for this story was supported by .*$",))
    text = Extractor(config).extract(html, SHELLS_URL).text
    assert custom not in text
    assert "Tags" not in text.split("\n")  # the defaults still apply


def test_without_default_boilerplate_advertisement_stays():
    html = fixture("brigades.html")
    text = Extractor(ExtractionConfig(default_boilerplate=False)).extract(html, BRIGADES_URL).text
    assert "ADVERTISEMENT" in text.split("\n")
    assert "ADVERTISEMENT" not in Extractor().extract(html, BRIGADES_URL).text


def _extract_in_worker(extractor: Extractor, html: str, url: str) -> Document | Skip:
    return extractor.extract(html, url)


def test_extractor_works_in_a_worker_process():
    extractor = Extractor(ExtractionConfig(boilerplate_patterns=(r"^Reporting for this story was supported by .*$",)))
    assert pickle.loads(pickle.dumps(extractor)).extract(fixture("shells.html"), SHELLS_URL) == extractor.extract(
        fixture("shells.html"), SHELLS_URL
    )
    pages = [(fixture("shells.html"), SHELLS_URL), (fixture("listing.html"), "https://ledger.example/asia")]
    with ProcessPoolExecutor(max_workers=1) as pool:
        results = list(pool.map(_extract_in_worker, [extractor] * 2, *zip(*pages)))
    assert results == [extractor.extract(html, url) for html, url in pages]
