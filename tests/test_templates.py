"""Per-source template memory: what a page shows (extractors/templates.py), what is learned from it and kept in
the SQLite file (newswatch/templatememory.py), and how extraction applies it, in process and in a worker."""

from __future__ import annotations

import pickle

import lxml.html
import pytest

from conftest import run_cli, write_config
from crawler.pool import extract_in_worker, extract_within, start_pool
from extractors.article import Extractor
from extractors.templates import forget, line_key, observe, place
from newswatch.config import ExtractionConfig, load_config
from newswatch.errors import ConfigError
from newswatch.models import Document, LineSeen, ShapeSeen, TemplateMemory, TemplateSeen
from newswatch.storage import Storage
from newswatch.templatememory import LINE_PAGES, MAX_LINES, MAX_SHAPES, SHAPE_PAGES, TemplateStore

SITE = "https://harbour.example"
CHROME = "Harbour Weekly is published by a cooperative of its own reporters and readers."
RECURRING = "The ministry did not respond to a request for comment on Tuesday."
BLURB = "p.blurb < div.card < section.more < main"


@pytest.fixture
def store(tmp_path):
    storage = Storage(tmp_path / "data" / "newswatch.db")
    yield TemplateStore(storage)
    storage.close()


def url(n: int) -> str:
    return f"{SITE}/2024/05/{n:02d}/harbour-story-number-{n}"


def card_page(n: int, blurb: str, link: bool = True) -> str:
    """A body paragraph with a link inside its sentence, then a card: a headline link to another story, a teaser."""
    story = f'<a href="/2024/04/{n:02d}/related-story-{n}">Related story {n} headline</a>'
    headline = story if link else "<b>Related</b>"
    return f"""<html><body><main>
<div class="body"><p>Dockers in berth {n} said the cranes stopped twice, and the
<a href="/2024/03/{n:02d}/crane-stops-{n}">earlier stoppage</a> was never explained by the port authority
to anyone who asked about it.</p></div>
<section class="more"><div class="card">{headline}<p class="blurb">{blurb}</p></div></section>
</main></body></html>"""


def page_lines(html: str) -> list[str]:
    tree = lxml.html.fromstring(html)
    return [" ".join(e.text_content().split()) for e in tree.iter("p", "a", "b") if e.getparent().tag != "p"]


def seen_on(n: int, blurb: str, link: bool = True) -> TemplateSeen:
    html = card_page(n, blurb, link)
    return observe(place(lxml.html.fromstring(html), url(n), page_lines(html)))


def line(text: str) -> LineSeen:
    return LineSeen(line_key(text), text)


# ---------------------------------------------------------------- what a page shows


def test_a_teaser_beside_a_headline_link_is_linked_and_a_body_paragraph_with_a_link_is_not():
    html = card_page(1, "Stevedores walked out over the night shift.")
    placed = {p.text[:9]: p for p in place(lxml.html.fromstring(html), url(1), page_lines(html))}
    body, headline, blurb = placed["Dockers i"], placed["Related s"], placed["Stevedore"]
    assert blurb.shape == BLURB and blurb.linked
    assert headline.linked
    assert body.shape == "p < div.body < main < body" and not body.linked


def test_a_page_teaches_its_short_lines_once_each_and_no_long_ones():
    lines = [CHROME, CHROME, " ".join(["word"] * 31)]
    html = "<html><body>" + "".join(f"<p>{text}</p>" for text in lines) + "</body></html>"
    seen = observe(place(lxml.html.fromstring(html), url(1), lines))
    assert seen.lines == (line(CHROME),)


def test_forgetting_drops_learned_lines_and_linked_lines_of_learned_shapes_only():
    html = card_page(1, "Stevedores walked out over the night shift.")
    lines = page_lines(html)
    placed = place(lxml.html.fromstring(html), url(1), lines)
    body_shape = "p < div.body < main < body"
    memory = TemplateMemory(lines=frozenset({line_key(lines[1])}), shapes=frozenset({BLURB, body_shape}))
    # the headline goes as a learned line, the teaser for its shape; the body paragraph is not linked: it stays
    assert forget(lines, placed, memory) == [lines[0]]


# ---------------------------------------------------------------- learning, in the SQLite file


def test_a_line_is_learned_on_its_third_distinct_page(store):
    for page in range(1, LINE_PAGES):
        store.learn("harbour", TemplateSeen((line(CHROME), line(f"Only on page {page}."))))
        assert store.memory("harbour") == TemplateMemory()
    store.learn("harbour", TemplateSeen((line(CHROME),)))
    assert store.memory("harbour").lines == {line_key(CHROME)}
    assert store.memory("other") == TemplateMemory()  # learned per source


def test_a_line_repeated_on_one_page_counts_once(store):
    html = "<html><body>" + f"<p>{CHROME}</p>" * 3 + "</body></html>"
    seen = observe(place(lxml.html.fromstring(html), url(1), [CHROME] * 3))
    for _ in range(LINE_PAGES - 1):
        store.learn("harbour", seen)
    assert store.memory("harbour") == TemplateMemory()


def test_a_shape_whose_linked_text_changes_on_every_page_is_learned(store):
    for n in range(1, SHAPE_PAGES + 1):
        assert BLURB not in store.memory("harbour").shapes
        store.learn("harbour", seen_on(n, f"Teaser number {n} about another story entirely."))
    assert BLURB in store.memory("harbour").shapes
    shapes = {shape.text: shape.pages for shape in store.report("harbour").shapes}
    assert shapes == {BLURB: SHAPE_PAGES, "a < div.card < section.more < main": SHAPE_PAGES}  # teaser and headline


def test_a_shape_whose_text_repeats_is_not_learned_as_a_slot(store):
    for n in range(1, SHAPE_PAGES + 2):
        store.learn("harbour", seen_on(n, "The same teaser on every page."))
    assert BLURB not in store.memory("harbour").shapes


def test_a_shape_seen_once_without_a_link_is_never_learned(store):
    store.learn("harbour", seen_on(0, "A box without a link this time.", link=False))
    for n in range(1, SHAPE_PAGES + 2):
        store.learn("harbour", seen_on(n, f"Teaser number {n} about another story entirely."))
    assert BLURB not in store.memory("harbour").shapes


def test_a_learned_shape_is_forgotten_when_it_holds_a_line_without_a_link(store):
    for n in range(1, SHAPE_PAGES + 1):
        store.learn("harbour", seen_on(n, f"Teaser number {n} about another story entirely."))
    assert BLURB in store.memory("harbour").shapes
    store.learn("harbour", seen_on(9, "A box without a link this time.", link=False))
    assert BLURB not in store.memory("harbour").shapes


def test_memory_is_bounded_and_the_least_recently_seen_go_first(store):
    store.learn("other", TemplateSeen((line(CHROME),)))
    old = line("A promotion that ran for three days only.")
    for _ in range(LINE_PAGES):
        store.learn("harbour", TemplateSeen((old, line(CHROME))))
    assert store.memory("harbour").lines == {old.key, line_key(CHROME)}
    per_page = 25
    for page in range(MAX_LINES // per_page + 2):
        lines = (line(CHROME), *(line(f"Line {k} of page {page}.") for k in range(per_page)))
        shapes = tuple(ShapeSeen(f"p.s{page}-{k} < div", frozenset({"text"}), True) for k in range(per_page))
        store.learn("harbour", TemplateSeen(lines, shapes))
    db = store.storage.db
    counts = {table: db.execute(f"select count(*) from {table} where source = 'harbour'").fetchone()[0]
              for table in ("template_lines", "template_shapes")}
    assert counts == {"template_lines": MAX_LINES, "template_shapes": MAX_SHAPES}
    keys = {key for (key,) in db.execute("select key from template_lines where source = 'harbour'")}
    assert line_key("Line 0 of page 0.") not in keys and line_key(f"Line 0 of page {page}.") in keys
    assert store.memory("harbour").lines == {line_key(CHROME)}  # the old promotion was evicted, and forgotten
    assert store.memory("other") == TemplateMemory()
    assert store.report("other").pages == 1


def test_the_tables_are_added_to_an_existing_database(tmp_path):
    path = tmp_path / "old.db"
    storage = Storage(path)
    storage.remember_url("http://127.0.0.1/a", "article", "harbour", 200)
    storage.close()
    storage = Storage(path)
    TemplateStore(storage).learn("harbour", TemplateSeen((line(CHROME),)))
    TemplateStore(storage)  # and opening it again changes nothing
    assert storage.url_state("http://127.0.0.1/a")["kind"] == "article"
    assert TemplateStore(storage).report("harbour").pages == 1
    storage.close()


# ---------------------------------------------------------------- applying it in extraction


def article(n: int, extra: str = "") -> str:
    paragraphs = "".join(
        f"<p>Harbour report {n}-{k}: the pilots of district {n} counted {k + 3} tankers waiting outside the "
        f"breakwater, and the customs office said inspection {n * 10 + k} would take until the end of the week.</p>"
        for k in range(6)
    )
    return f"""<html><head><title>Harbour story {n}</title><meta property="og:type" content="article"></head>
<body><article class="story"><h1>Harbour story {n}</h1><div class="story__body">{paragraphs}{extra}
<div class="story__note"><p>{CHROME}</p></div></div></article></body></html>"""


def test_the_first_pages_are_cleaned_as_without_memory_and_later_ones_lose_the_chrome(store):
    extractor = Extractor()
    texts = {}
    for n in range(1, 7):
        html = article(n, f"<p>{RECURRING}</p>" if n in (2, 5) else "")
        document = extractor.extract(html, url(n), store.memory("harbour"))
        assert isinstance(document, Document)
        if n <= LINE_PAGES:
            assert document.text == extractor.extract(html, url(n)).text
        store.learn("harbour", document.template)
        texts[n] = document.text
    assert [n for n, text in texts.items() if CHROME in text] == [1, 2, 3]
    assert RECURRING in texts[2] and RECURRING in texts[5]  # a line that merely recurs twice stays


def test_without_memory_nothing_is_observed():
    assert Extractor().extract(article(1), url(1)).template == TemplateSeen()


def test_a_worker_applies_the_memory_it_is_sent_like_the_crawl_process():
    memory = TemplateMemory(lines=frozenset({line_key(CHROME)}))
    assert pickle.loads(pickle.dumps(memory)) == memory
    pool = start_pool(1, ExtractionConfig())
    try:
        in_worker = pool.submit(extract_in_worker, article(4), url(4), 5.0, memory).result()
    finally:
        pool.shutdown()
    assert in_worker == extract_within(Extractor(), article(4), url(4), 5.0, memory)
    assert CHROME not in in_worker.text and in_worker.template.lines


# ---------------------------------------------------------------- configuration and `sources show`

SOURCE = '[[sources]]\nname = "harbour"\nfeeds = ["http://127.0.0.1:9/feed"]\n'


def test_template_memory_is_on_unless_a_source_turns_it_off_and_a_mistyped_value_names_the_source(tmp_path):
    assert load_config(write_config(tmp_path, SOURCE)).sources[0].template_memory is True
    assert load_config(write_config(tmp_path, SOURCE + "template_memory = false\n")).sources[0].template_memory is False
    with pytest.raises(ConfigError, match=r"sources\[1\] \(harbour\)\.template_memory: expected true or false"):
        load_config(write_config(tmp_path, SOURCE + 'template_memory = "no"\n'))


def test_sources_show_says_when_memory_is_off_and_refuses_an_unknown_source(tmp_path):
    config = write_config(tmp_path, SOURCE + "template_memory = false\n")
    off = run_cli("sources", "show", "harbour", "--config", str(config))
    assert off.returncode == 0 and "template memory is off" in off.stdout
    unknown = run_cli("sources", "show", "nowhere", "--config", str(config))
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "'nowhere'" in unknown.stderr
