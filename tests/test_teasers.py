"""Teaser blocks, form boxes and contact lines by structure (extractors/teasers.py), and the headings and
quotes put back after precision mode (extractors/recall.py), on small hand-written pages."""

from __future__ import annotations

import outlets
from conftest import write_config
from trafilatura import load_html

from extractors.article import Extractor
from extractors.body import extract_body
from extractors.recall import recovered
from extractors.teasers import find_teasers
from newswatch.config import ExtractionConfig, load_config

URL = "https://gazette.example/world/2024/11/05/north-korean-crews-in-kursk"

# Body paragraphs, each long enough to be prose; the page's own sentences, not teasers.
BODY = [
    f"Paragraph {n} says North Korean crews arrived at the Kursk front by train and were placed under Russian "
    f"command, according to officials who described convoy number {n} in some detail to the paper."
    for n in range(1, 7)
]


def page(inside: str = "", after: str = "") -> str:
    paragraphs = "".join(f"<p>{text}</p>" for text in BODY[:3]) + inside + "".join(f"<p>{t}</p>" for t in BODY[3:])
    return (
        "<html><head><title>Crews in Kursk</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Crews in Kursk</h1><div class='story'>{paragraphs}</div>{after}</article>"
        "<footer>© Gazette</footer></body></html>"
    )


def text_of(html: str) -> str:
    body = extract_body(load_html(html), URL, min_words=50)
    return "\n".join(body.lines) if body else ""


def test_an_embedded_teaser_box_goes_whole_and_the_body_stays():
    box = (
        "<div class='box'><a href='/asia/2024/10/02/balloons-over-seoul-again'>Balloons drift over Seoul again</a>"
        "<p>The military said more than two hundred balloons crossed the border overnight.</p></div>"
    )
    text = text_of(page(inside=box))
    assert "more than two hundred balloons" not in text
    assert all(sentence in text for sentence in BODY)


def test_a_body_paragraph_with_a_link_inside_a_sentence_is_kept():
    linked = (
        "<p>Earlier this year the paper reported on <a href='/asia/2024/08/26/tumen-bridge-rail-cars'>the rail cars "
        "that carried shells across the Tumen</a>, which analysts believe now carry less of the traffic.</p>"
    )
    text = text_of(page(inside=linked))
    assert "which analysts believe now carry less of the traffic" in text


def test_a_link_standing_alone_to_another_site_is_no_teaser():
    box = (
        "<div class='box'><a href='https://other.example/2024/10/02/balloons-over-seoul'>Balloons drift over Seoul "
        "again</a><p>The military said more than two hundred balloons crossed the border overnight.</p></div>"
    )
    teasers = find_teasers(load_html(page(inside=box)), URL, BODY)
    assert not teasers.covers("The military said more than two hundred balloons crossed the border overnight.")


def test_a_related_stream_after_the_body_goes_with_its_heading_dates_and_standfirsts():
    cards = "".join(
        f"<div class='card item-{n}'><h4><span>Opinion</span> <a href='/opinion/2024/11/0{n}/column-{n}'>Why the "
        f"treaty changes little</a></h4><p>COLUMNIST {n} writes at some length about why the treaty changes little for the "
        f"peninsula, for its neighbours and for the Russian Far East this winter, a view shared by many.</p></div>"
        for n in range(1, 4)
    )
    html = page(after=f"<section class='more'><h3>Other columns</h3>{cards}</section>")
    teasers = find_teasers(load_html(html), URL, BODY)
    assert teasers.covers("COLUMNIST 2 writes at some length about why the treaty changes little for the peninsula, "
                          "for its neighbours and for the Russian Far East this winter, a view shared by many.")
    assert teasers.covers("Other columns")
    assert not any(teasers.covers(sentence) for sentence in BODY)


def test_a_lone_block_where_the_link_is_a_small_part_of_much_text_is_no_teaser():
    # a headline link over 40 words of its own: not dominated by the link, and alone of its shape
    long_text = " ".join(["The paragraph goes on about the convoy and the crews in some detail."] * 3)
    block = f"<div class='x'><a href='/world/2024/10/01/convoy-report'>Convoy report</a> <p>{long_text}</p></div>"
    teasers = find_teasers(load_html(page(inside=block)), URL, BODY)
    assert not teasers.covers(long_text)


def test_form_boxes_and_contact_lines_go():
    chrome = (
        "<div class='nl'><h4>Get the morning briefing</h4><form><input type='email' name='e'>"
        "<button>Sign up</button></form></div>"
        "<p class='tip'>Got a tip? Write to <a href='mailto:tips@gazette.example'>tips@gazette.example</a></p>"
    )
    text = text_of(page(after=chrome))
    assert "Get the morning briefing" not in text
    assert "tips@gazette.example" not in text
    assert all(sentence in text for sentence in BODY)


def test_recall_puts_back_headings_and_quotes_between_extracted_lines_but_not_linked_quotes_or_labels():
    html = (
        "<html><body><div class='story'>"
        f"<p>{BODY[0]}</p><div class='h'><h2>Ships that switch off</h2></div><p>{BODY[1]}</p>"
        f"<blockquote><p>Nobody loads at night for three weeks unless the schedule is fixed.</p></blockquote>"
        f"<p>{BODY[2]}</p>"
        "<blockquote class='tweet'><p>A post about the convoy, quoted in full here.</p><a href='https://x.example/1'>"
        "Nov 5</a></blockquote>"
        f"<p>{BODY[3]}</p><h3>Share this:</h3><p>{BODY[4]}</p></div></body></html>"
    )
    lines = recovered(load_html(html), BODY[:5])
    assert lines.index("Ships that switch off") == 1
    assert "Nobody loads at night for three weeks unless the schedule is fixed." in lines
    assert not any("quoted in full" in line or line == "Share this:" for line in lines)
    assert [line for line in lines if line in BODY] == BODY[:5]


def test_structural_teasers_and_recall_are_switched_off_in_the_extraction_config(tmp_path):
    box = (
        "<div class='box'><a href='/asia/2024/10/02/balloons-over-seoul-again'>Balloons drift over Seoul again</a>"
        "<p>The military said more than two hundred balloons crossed the border overnight.</p></div>"
    )
    config = load_config(
        write_config(
            tmp_path,
            '[[sources]]\nname = "s"\nfeeds = ["http://127.0.0.1:1/feed"]\n',
            defaults="[extraction]\nstructural_teasers = false\nrecall = false\n",
        )
    ).extraction
    assert (config.structural_teasers, config.recall) == (False, False)
    on, off = Extractor(), Extractor(config)
    assert "more than two hundred balloons" not in on.text(page(inside=box), URL)
    assert "more than two hundred balloons" in off.text(page(inside=box), URL)
    # an outlet whose sub-headings precision mode drops: recall puts them back
    name = "harbour-ledger"
    html = outlets.build_site(name)[outlets.article_paths(name)[0]].replace(outlets.BASE, "https://harbour.example")
    url = "https://harbour.example" + outlets.article_paths(name)[0]
    assert outlets.missing_sentences(html, on.text(html, url)) == []
    assert outlets.missing_sentences(html, Extractor(ExtractionConfig(recall=False)).text(html, url)) != []
