"""Three fixture outlets with their own templates (tests/outlets.py), crawled through the real pipeline.

Each outlet is served by its own SiteServer on 127.0.0.1 and configured as one feed source; the stored texts
are read back from the SQLite file. The crawls run once per module and the tests below check their results.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import outlets
from conftest import query, run_cli, write_config
from newswatch.demo.server import SiteServer

FIRST = 3  # articles in the feed for the first crawl: template memory learns a line after three pages


@pytest.fixture(scope="module")
def servers():
    """One local site per outlet, serving all its pages and its full feed."""
    with ExitStack() as stack:
        running = {}
        for name in outlets.OUTLETS:
            server = stack.enter_context(SiteServer(root=None))
            for path, body in outlets.build_site(name).items():
                server.put(path, body)
            running[name] = server
        yield running


def sources_config(directory: Path, servers: dict[str, SiteServer], extra: str = "") -> Path:
    """A config.toml in `directory` with one feed source per outlet; `extra` goes into every [[sources]] table."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = "".join(
        f'[[sources]]\nname = "{name}"\nfeeds = ["{server.url(outlets.outlet(name).feed_path)}"]\n{extra}\n'
        for name, server in servers.items()
    )
    return write_config(directory, tables)


def run_crawl(config) -> subprocess.CompletedProcess:
    # not conftest.crawl: a crawl refused by the config must fail the tests that need it, not the fixture
    return run_cli("crawl", "--config", str(config), "--quiet")


def stored(config, servers, name: str) -> dict[str, str]:
    """Stored text by article path, for one outlet's pages."""
    if not (config.parent / "data" / "newswatch.db").exists():
        return {}
    host = urlsplit(servers[name].base_url).netloc
    rows = query(config, "select url, canonical_url, text from articles where source = ?", (name,))
    texts = {}
    for row in rows:
        for url in (row["url"], row["canonical_url"]):
            if url and urlsplit(url).netloc == host:
                texts[urlsplit(url).path] = row["text"]
    return texts


def crawl_ok(result: subprocess.CompletedProcess, what: str) -> None:
    assert result.returncode in (0, 1), f"{what} exited {result.returncode}: {result.stderr.strip()[-500:]}"


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_fixture_pages_keep_their_promises(name):
    # word counts, subheadings, quotes, mid-sentence links, short paragraphs, no marker text inside the body
    assert outlets.check(outlets.outlet(name)) == []


# ---------------------------------------------------------------- A: one crawl of every page


@pytest.fixture(scope="module")
def full_crawl(servers, tmp_path_factory):
    config = sources_config(tmp_path_factory.mktemp("full"), servers)
    return config, run_crawl(config)


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_every_page_is_stored(full_crawl, servers, name):
    config, result = full_crawl
    crawl_ok(result, "the crawl")
    texts = stored(config, servers, name)
    missing = [p for p in outlets.article_paths(name) if p not in texts]
    assert not missing, f"{len(missing)} of {len(outlets.article_paths(name))} pages not stored: {missing}"


def findings(full_crawl, servers, name: str, check: Callable[[str, str], list[str]]) -> dict[str, list[str]]:
    """What `check(page html, stored text)` finds on the stored pages of one outlet, where it finds any."""
    config, result = full_crawl
    crawl_ok(result, "the crawl")
    site, texts = outlets.build_site(name), stored(config, servers, name)
    found = {path: check(site[path], texts[path]) for path in outlets.article_paths(name) if path in texts}
    return {path: items for path, items in found.items() if items}


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_every_body_sentence_is_kept(full_crawl, servers, name):
    lost = findings(full_crawl, servers, name, outlets.missing_sentences)
    assert not lost, f"body text lost on {len(lost)} pages, e.g. {next(iter(lost.items()))}"


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_no_teaser_or_chrome_line_is_stored(full_crawl, servers, name):
    leaked = findings(full_crawl, servers, name, outlets.leaks)
    lines = sorted({line for found in leaked.values() for line in found})
    assert not leaked, f"teaser or chrome lines on {len(leaked)} pages: {lines[:8]}"


# ---------------------------------------------------------------- B: template memory, learning from the first pages


@pytest.fixture(scope="module")
def memory_crawls(servers, tmp_path_factory):
    """Two crawls (the first FIRST articles, then all) with template memory on (the default) and with it off.

    Returns {mode: (config, [first result, second result], {name: paths stored by the first crawl})}."""
    configs = {
        "on": sources_config(tmp_path_factory.mktemp("memory-on"), servers),
        "off": sources_config(tmp_path_factory.mktemp("memory-off"), servers, "template_memory = false\n"),
    }
    runs = {mode: (config, [], {}) for mode, config in configs.items()}
    for limit in (FIRST, None):
        for name, server in servers.items():
            server.put(outlets.outlet(name).feed_path, outlets.feed(name, limit))
        for mode, (config, results, first) in runs.items():
            results.append(run_crawl(config))
            if limit == FIRST:
                first.update({name: set(stored(config, servers, name)) for name in servers})
    # later tests in this module (and reruns) expect the full feed
    for name, server in servers.items():
        server.put(outlets.outlet(name).feed_path, outlets.feed(name))
    return runs


def _memory_run(memory_crawls, mode):
    config, results, first = memory_crawls[mode]
    crawl_ok(results[0], f"the first crawl with template memory {mode}")
    crawl_ok(results[1], f"the second crawl with template memory {mode}")
    return config, first


def _template_line_run(memory_crawls, servers, mode, name):
    """The outlet's template line, its stored texts by path, and the paths its first crawl stored."""
    config, first = _memory_run(memory_crawls, mode)
    return outlets.outlet(name).template_line, stored(config, servers, name), first[name]


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_template_line_is_kept_until_it_has_recurred(memory_crawls, servers, name):
    line, texts, first = _template_line_run(memory_crawls, servers, "on", name)
    assert first == set(outlets.article_paths(name)[:FIRST])
    # three pages: the line recurs only now, so the first crawl had nothing to learn it from
    without = [path for path in first if line not in outlets.squash(texts[path])]
    assert not without, f"the first pages lost the outlet's own line before it could be learned: {without}"


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_template_line_is_removed_once_learned(memory_crawls, servers, name):
    line, texts, first = _template_line_run(memory_crawls, servers, "on", name)
    later = [path for path in outlets.article_paths(name) if path not in first]
    assert later and all(path in texts for path in later), "the second crawl did not store the other pages"
    still = [path for path in later if line in outlets.squash(texts[path])]
    assert not still, f"{len(still)} of {len(later)} pages of the second crawl still have {line!r}"


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_without_template_memory_the_line_stays(memory_crawls, servers, name):
    line, texts, _ = _template_line_run(memory_crawls, servers, "off", name)
    assert set(texts) == set(outlets.article_paths(name))
    without = [path for path, text in texts.items() if line not in outlets.squash(text)]
    assert not without, f"template_memory = false, yet {len(without)} pages lost {line!r}"


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_template_memory_removes_no_body_text(memory_crawls, servers, name):
    # whatever structural extraction keeps of the body, memory must not take away
    on_config, _ = _memory_run(memory_crawls, "on")
    off_config, _ = _memory_run(memory_crawls, "off")
    site, on, off = outlets.build_site(name), stored(on_config, servers, name), stored(off_config, servers, name)
    lost = {}
    for path in outlets.article_paths(name):
        kept_without_memory = set(outlets.body_sentences(site[path])) - set(outlets.missing_sentences(site[path], off[path]))
        gone = kept_without_memory & set(outlets.missing_sentences(site[path], on[path]))
        if gone:
            lost[path] = sorted(gone)
    assert not lost, f"template memory removed body text on {len(lost)} pages, e.g. {next(iter(lost.items()))}"


@pytest.mark.parametrize("name", outlets.OUTLETS)
def test_sources_show_prints_the_learned_line(memory_crawls, name):
    config, _ = _memory_run(memory_crawls, "on")
    result = run_cli("sources", "show", name, "--config", str(config))
    assert result.returncode == 0, result.stderr.strip()[-500:]
    assert outlets.outlet(name).template_line in outlets.squash(result.stdout), result.stdout
