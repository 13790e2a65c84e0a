"""What a retelling shares with its report in any language (evidence.py), how it is scored (retelling.py),
and how the index uses it: across languages, stock phrases, merges (index.py), config additions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from conftest import write_config
from newswatch.config import StoriesConfig, load_config
from newswatch.errors import ConfigError
from newswatch.models import Article
from newswatch.storage import Storage
from newswatch.stories.evidence import evidence
from newswatch.stories.index import StoryIndex
from newswatch.stories.retelling import compare
from newswatch.stories.vocabulary import lexicon

LEXICON = lexicon()
WEEK = 7 * 86400.0
FEB = datetime(2023, 2, 2, 9, 0, tzinfo=timezone.utc)


def facts(text: str, language: str = "en", title: str = ""):
    return evidence(title, text, language, LEXICON)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("About 800 to 1,000 workers were recruited.", "en", {("800", "workers"), ("1000", "workers")}),
        ("Between 300 and 500 men aged 19 to 27.", "en", {("300", "people"), ("500", "people"), ("19", ""), ("27", "")}),
        ("북한군 1만2000명이 파병됐다.", "ko", {("12000", "troops")}),
        ("약 1500명의 특수부대가 이동했다.", "ko", {("1500", "troops")}),
        ("около 10 тысяч военнослужащих КНДР", "ru", {("10000", "troops")}),
        ("1万人の兵士を派遣した", "ja", {("10000", "troops")}),
        ("rund 10.000 Soldaten", "de", {("10000", "troops")}),
        ("quelque 10 000 soldats", "fr", {("10000", "troops")}),
        ("1.5 million shells and $700 a month", "en", {("1500000", "shells"), ("700", "money")}),
        ("100 killed and 1,000 wounded in 2024", "en", {("100", "killed"), ("1000", "wounded")}),
    ],
)
def test_figures_are_read_with_their_unit_in_every_language(text, language, expected):
    assert facts(text, language).numbers == expected


@pytest.mark.parametrize(
    ("text", "entity"),
    [
        ("Kim Jong-un's sister Kim Yo Jong said", "kim-yo-jong"),
        ("김여정 부부장은 담화에서", "kim-yo-jong"),
        ("Ким Ё Чжон заявила", "kim-yo-jong"),
        ("в Курской области", "kursk"),
        ("쿠르스크에서 전투", "kursk"),
        ("クルスク州で", "kursk"),
    ],
)
def test_names_are_found_across_scripts_and_inflections(text, entity):
    assert entity in facts(text).entities


def test_names_match_whole_words_only():
    assert "kursk" not in facts("Kurskaya is not a place we know; Kursky neither").entities
    assert facts("Kim Jong Un met officials.").common == {"kim-jong-un"}


@pytest.mark.parametrize(
    "text", ["on Jan. 20", "on 20 January", "20 января", "1월 20일", "1月20日", "am 20. Januar", "le 20 janvier"]
)
def test_dates_are_read_in_every_language_and_not_as_figures(text):
    found = facts(text)
    assert found.dates == {"01-20"} and found.numbers == set()


def test_sources_quotes_and_denials():
    found = facts(
        'According to Daily NK, "the workers will stay home until the war is over, the source said." '
        '"Too short to count."',
        title="Moscow dismisses report of North Korean workers",
    )
    assert found.sources == {"daily-nk"}
    assert found.quotes == ("the workers will stay home until the war is over, the source said.",)
    assert found.denial
    assert not facts("x", title="North Korea sends workers to Russia").denial
    assert facts("x", "ru", title="Песков опроверг сообщения о войсках КНДР").denial


REPORT_EN = (
    "North Korea ordered trading companies in Russia on Jan. 20 to select 300 to 500 men for the occupied "
    "regions, according to Daily NK. An earlier plan to send 800 to 1,000 workers to Donetsk has stalled."
)
REPORT_KO = "데일리NK에 따르면 북한은 1월 20일 러시아 주재 무역회사에 300~500명을 선발하라고 지시했다. 도네츠크에 800~1000명의 노동자를 보내려던 계획은 미뤄졌다."
LATER_EN = (
    "A second group of 300 to 500 North Korean men has reached occupied Donetsk, Daily NK says, after the "
    "800 to 1,000 workers promised last year never came."
)
SAME_WEEK_EN = (
    "North Korean construction workers in Vladivostok must now pay the state $700 a month instead of $500, "
    "according to Daily NK, which cites a source in Russia."
)


def test_a_retelling_in_another_language_scores_over_the_threshold_and_another_report_does_not():
    threshold = StoriesConfig().retelling_score
    retold = compare(facts(REPORT_KO, "ko"), facts(REPORT_EN), 3600, WEEK)
    assert retold.score >= threshold
    assert {"800 workers", "1000 workers"} <= set(retold.numbers) and retold.dates == ("01-20",)
    assert retold.sources == ("daily-nk",) and "donetsk" in retold.entities
    other = compare(facts(SAME_WEEK_EN), facts(REPORT_EN), 3600, WEEK)
    assert other.score < threshold and other.sources == ("daily-nk",)


def test_a_shared_quote_is_enough_and_a_denial_never_joins_its_report():
    quote = '"We cannot send people to a place where shells are still falling, whatever the money."'
    a, b = facts(f"One outlet wrote: {quote}"), facts(f"Another put it so: {quote} More text.")
    assert compare(a, b, 0, WEEK).score >= StoriesConfig().retelling_score
    denial = facts(REPORT_EN, title="Russian embassy denies report of North Korean recruits")
    scored = compare(denial, facts(REPORT_EN, title="North Korea picks men for occupied Ukraine"), 3600, WEEK)
    assert scored.denial_mismatch and scored.score == 0


def test_figures_of_different_things_do_not_count():
    troops, workers = facts("1,500 troops were sent."), facts("1,500 workers were sent.")
    assert compare(troops, workers, 0, WEEK).numbers == ()
    assert compare(facts("$500 a month"), facts("500 men were sent"), 0, WEEK).numbers == ()
    assert compare(facts("500 men were sent"), facts("500 soldiers arrived"), 0, WEEK).numbers == ("500 people",)


def test_closer_in_time_scores_higher():
    near, far = (compare(facts(REPORT_KO, "ko"), facts(REPORT_EN), hours * 3600, WEEK).score for hours in (2, 120))
    assert near > far


@pytest.fixture
def store(tmp_path):
    storage = Storage(tmp_path / "stories.db")
    yield storage
    storage.close()


def assign(store, index, text, source, when, language="en", title=""):
    with store.transaction():
        article = Article(
            url=f"https://{source}.example/{abs(hash((text, when)))}",
            canonical_url=f"https://{source}.example/{abs(hash((text, when)))}",
            source=source, title=title or text[:40], text=text, fetched=when, published=when, language=language,
        )
        article_id = store.insert_article(article, content_hash=str(abs(hash((text, source)))))
        return index.assign(article_id, text, language, when, source, title=title or text[:40])


def test_the_index_joins_across_languages_by_evidence_and_explains_it(store):
    index = StoryIndex(store.db, StoriesConfig())
    first = assign(store, index, REPORT_EN, "seoul-courier", FEB)
    korean = assign(store, index, REPORT_KO, "hankyeol", FEB + timedelta(hours=5), language="ko")
    assert korean.story_id == first.story_id and not korean.is_new
    assert korean.evidence["sources"] == ["daily-nk"] and korean.evidence["score"] >= 0.8
    other = assign(store, index, SAME_WEEK_EN, "vostok-daily", FEB + timedelta(days=2))
    assert other.is_new
    later = assign(store, index, LATER_EN, "seoul-courier", FEB + timedelta(days=40))
    assert later.is_new, "a like report outside the window is another event"


def test_without_evidence_only_same_language_copies_join(store):
    index = StoryIndex(store.db, StoriesConfig(retelling_score=float("inf")))
    assign(store, index, REPORT_EN, "seoul-courier", FEB)
    assert assign(store, index, REPORT_KO, "hankyeol", FEB + timedelta(hours=5), language="ko").is_new


STOCK = (
    "North Korea and Russia signed a comprehensive strategic partnership treaty in June 2024 that includes "
    "a mutual defence clause obliging each side to help the other if attacked by a third country."
)


def test_a_background_sentence_that_two_stories_share_is_stock_and_joins_nothing(store):
    # The phrase rule alone: evidence scoring off, so only the shared phrase fingerprints could join these.
    index = StoryIndex(store.db, StoriesConfig(retelling_score=float("inf"), shared_phrases=2))
    topics = [
        "Grain prices rose sharply in the port city this week as merchants blamed poor harvests, higher fuel "
        "costs and a shortage of rail wagons for the delays that have left warehouses half empty since spring",
        "A new road bridge opened to traffic on Monday after three years of building work, cutting the journey "
        "between the two river towns from an hour to ten minutes for lorries, buses and private cars alike",
        "Fishermen reported a poor season along the northern coast, saying warmer water had pushed the squid "
        "further out to sea and that many boats now return to harbour with less than half their usual catch",
    ]
    # One outlet's two reports (its own phrases never join its articles), then another outlet's third one.
    stories = {assign(store, index, f"{t}. {STOCK} Officials gave few details.", "outlet1", FEB).story_id
               for t in topics[:2]}
    assert len(stories) == 2
    third = assign(store, index, f"{topics[2]}. {STOCK}", "outlet9", FEB + timedelta(hours=3))
    assert third.is_new


def test_config_adds_names_to_the_table(tmp_path):
    config = load_config(write_config(tmp_path, '[stories.entities]\n"Sergei Shoigu" = ["Schoigu-Besuch"]\n'
                                                '"Vadim Pushilin" = ["Пушилин", "푸실린"]\n'))
    table = lexicon(config.stories.entities, config.stories.sources)
    assert "shoigu" in evidence("", "der Schoigu-Besuch in Pjöngjang", "de", table).entities  # an id already known
    assert "Vadim Pushilin" in evidence("", "푸실린은 말했다", "ko", table).entities
    with pytest.raises(ConfigError, match=r"stories\.entities\.Shoigu: expected a list of strings"):
        load_config(write_config(tmp_path, "[stories.entities]\nShoigu = 3\n"))
    with pytest.raises(ConfigError, match=r"stories\.retelling_score: must be at least 0\.1"):
        load_config(write_config(tmp_path, "[stories]\nretelling_score = 0\n"))
