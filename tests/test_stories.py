"""Story grouping on hand-written texts: retellings of one report join, other reports and decoys do not.

The texts paraphrase the situation of the project's sample coverage in our own words: one
invented report (quoted word for word by three outlets), two August-2022-like articles on the
same subject that are different stories, and decoys that share names but no report.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from conftest import crawl, query, run_cli, write_config
from newswatch.config import StoriesConfig, load_config
from newswatch.demo.run import demo_sources
from newswatch.demo.server import SITE
from newswatch.errors import ConfigError
from newswatch.models import Article
from newswatch.storage import Storage
from newswatch.stories.index import StoryIndex
from newswatch.stories.listing import list_stories, story_outlets
from newswatch.stories.index import COMMON_PHRASE
from newswatch.stories.minhash import BandLayout, jaccard, minhash
from newswatch.stories.signatures import content_hash, signature

FEB = datetime(2023, 2, 2, 9, 0, tzinfo=timezone.utc)
AUG = datetime(2022, 8, 16, 9, 0, tzinfo=timezone.utc)

Q_PLAN = (
    "The plan was to move the building crews over the moment Moscow finished the war and held more "
    "territory, but the front has not moved the way the leadership was promised"
)
Q_MONEY = (
    "Even our government cannot order people to dig foundations where artillery still lands, no matter "
    "how much the treasury wants the foreign currency"
)
Q_FIRMS = (
    "The trading firms were told to pick young married men from army and security units, because a "
    "family left at home makes defection far less likely"
)

RETELLING_1 = f"""
North Korea has quietly shelved a plan to send construction crews to the parts of eastern Ukraine
that Russia occupies, according to the Seoul-based outlet Daily NK. Officials had lined up between
700 and 900 builders last autumn and meant to dispatch them before the winter set in.
A source inside the country explained the delay to the outlet: "{Q_PLAN}." The same source added:
"{Q_MONEY}." Analysts say the hesitation shows that even Pyongyang, which has backed Moscow loudly at
the United Nations, is hedging its bets on the outcome of the war. The Kremlin has not commented.
Daily NK also reported that trading companies in Russia received an order on January 17 to choose
staff for the occupied regions. "{Q_FIRMS}," the source said.
"""

RETELLING_2 = f"""
Vladimir Putin may be losing one of the very few friends he has left. Pyongyang promised last year
to help rebuild the Russian-held Donbas with 700 to 900 of its labourers, yet the men never left
home, the specialist site Daily NK says. Its informant put it bluntly. {Q_PLAN}. And further: {Q_MONEY}.
Rather than civilians, the regime is now said to be choosing soldiers and police officers for the
occupied territories. The instruction reached North Korean trading companies in Russia on January 17,
and the men being picked are aged 20 to 28. {Q_FIRMS}, the informant explained. Western officials
have warned that Moscow is preparing a new offensive in the coming weeks.
"""

RETELLING_3 = f"""
Is Kim Jong Un getting cold feet about the war in Ukraine? A report from Daily NK suggests so. The
workers North Korea pledged for reconstruction in occupied Ukraine are still at home, months after
they were due to leave. "{Q_PLAN}," a North Korean source told the publication, adding that
"{Q_MONEY}". Kim's sister Kim Yo Jong praised the Russian army only last week and promised that the
two countries would fight side by side, so the report points to a gap between words and deeds in
Pyongyang. Moscow has spent months courting the isolated state as a source of shells and labour.
"""

TROOPS_CLAIM = """
A retired Russian colonel told viewers of a state television talk show that North Korea is ready to
send as many as 100,000 volunteers to fight in the Donbas. Speaking on Rossiya 1, the editor of a
defence magazine said Moscow should not be shy about accepting the hand offered by Kim Jong Un. He
cited a report by the Regnum agency which claimed that Pyongyang had signalled through diplomatic
channels that, besides construction workers, it could provide troops in return for grain and fuel.
The claim could not be verified. North Korea recognised the separatist Donetsk and Luhansk republics
in July, and Ukraine cut diplomatic ties with Pyongyang in response. Daily NK and other specialist
outlets have reported for months on North Korean labourers in Russia. Vladimir Putin has not
commented on the idea, and officials in Seoul dismissed it as propaganda aimed at Kyiv.
"""

AMBASSADOR = """
Russia's envoy in Pyongyang has suggested that North Korean builders could help rebuild towns in the
Donbas. In an interview with a Russian newspaper, Ambassador Alexander Matsegora praised Korean
construction crews as skilled and tireless and said they would be welcome in the Donetsk and Luhansk
regions despite United Nations sanctions on North Korean labour abroad. The remarks came as Vladimir
Putin and Kim Jong Un exchanged letters on the anniversary of Korea's liberation from Japanese rule,
promising to widen cooperation in every area. North Korea was one of only a handful of countries to
recognise the two breakaway republics. Daily NK has reported that thousands of North Korean workers
already live in Russia on building sites and in logging camps, earning hard currency for the state.
"""

MISSILE_DECOY = """
North Korea fired a ballistic missile into the sea off its east coast on Thursday, South Korea's
joint chiefs of staff said, the latest in a series of launches this year. The missile flew about
800 kilometres before coming down outside Japan's exclusive economic zone. Russia and China blocked
a new round of United Nations sanctions last year, and Vladimir Putin has since praised his ties with
Kim Jong Un. Daily NK reported separately that rice prices in border towns have risen sharply since
the new year, as the state tightens control over private markets and cross-border trade.
"""

FOOTBALL_DECOY = """
A late header from the captain gave the home side a narrow win on Saturday and lifted them to third
place in the table. The visitors had dominated the first half and hit the post twice, but their
goalkeeper misjudged a corner in the eighty-ninth minute. The manager praised the crowd and said the
squad would rest two players with minor injuries before the cup tie in midweek. Ticket sales for the
next home game have already passed twenty thousand, the club said in a statement on its website.
"""

FOOTER = """
This report was produced by the Northwire desk in Seoul. Northwire is an independent newsroom funded
by its readers; to support our reporting on North Korea, become a member today and sign up for our
weekly newsletter for analysis you will not find anywhere else.
"""


@pytest.fixture
def storage(tmp_path):
    store = Storage(tmp_path / "stories.db")
    yield store
    store.close()


@pytest.fixture
def index(storage):
    return StoryIndex(storage.db, StoriesConfig())


def add(storage, index, text, source, published, language="en"):
    """Store an article and assign its story in one transaction, as the crawl pipeline does."""
    with storage.transaction():
        article_id = insert(storage, text, source, published, language)
        return index.assign(article_id, text, language, published, source)


def insert(storage, text, source, published, language="en"):
    title = " ".join(text.split()[:8])
    article = Article(
        url=f"https://{source}.example/{content_hash(text)[:12]}",
        canonical_url=f"https://{source}.example/{content_hash(text)[:12]}",
        source=source,
        title=title,
        text=text,
        fetched=published,
        published=published,
        language=language,
    )
    return storage.insert_article(article, content_hash=content_hash(text))


def test_three_retellings_of_one_report_form_one_story(storage, index):
    first = add(storage, index, RETELLING_1, "northwire", FEB)
    second = add(storage, index, RETELLING_2, "eurodaily", FEB + timedelta(days=1))
    third = add(storage, index, RETELLING_3, "globalpost", FEB + timedelta(days=2))
    assert first.is_new and not second.is_new and not third.is_new
    assert first.story_id == second.story_id == third.story_id
    assert third.articles == 3
    assert third.outlets == ("northwire", "eurodaily", "globalpost")
    stored = {r["source"]: r["story_id"] for r in storage.db.query("select source, story_id from articles")}
    assert stored == {"northwire": first.story_id, "eurodaily": first.story_id, "globalpost": first.story_id}


def test_signatures_and_bands_are_those_stored_by_earlier_versions():
    """Values datasketch 2 (affine32, seed 1) computed for these inputs, as stored databases hold them."""
    hashes = (np.arange(1, 1001, dtype=np.uint64) * np.uint64(2654435761)) % np.uint64(2**32)
    values = minhash(hashes)
    assert values.dtype == np.uint32 and values[:4].tolist() == [1231587, 680888, 10635952, 4051444]
    assert hashlib.blake2b(values.tobytes(), digest_size=16).hexdigest() == "0c06568b4b1d12af6a84441f69a6f1d9"
    other = minhash(np.concatenate([hashes[:600], np.arange(5000, 5400, dtype=np.uint64)]))
    assert jaccard(values, other) == 0.421875
    layouts = {t: (BandLayout.for_threshold(t).bands, BandLayout.for_threshold(t).rows) for t in (0.1, 0.3, 0.5, 0.7, 0.9)}
    assert layouts == {0.1: (64, 2), 0.3: (37, 3), 0.5: (25, 5), 0.7: (14, 9), 0.9: (5, 25)}


def test_retellings_share_passages_but_little_text():
    """Why a second signal is needed: shingle similarity alone would not group these."""
    a, b = signature(RETELLING_1), signature(RETELLING_2)
    assert jaccard(a.minhash, b.minhash) < 0.3
    assert len(a.phrases & b.phrases) >= StoriesConfig().shared_phrases


def test_other_reports_on_the_same_subject_and_decoys_join_nothing(storage, index):
    # Published in the same week on purpose: only the text keeps them apart here.
    story = add(storage, index, RETELLING_1, "northwire", FEB).story_id
    add(storage, index, RETELLING_2, "eurodaily", FEB)
    others = [
        add(storage, index, TROOPS_CLAIM, "asiatimes", FEB),
        add(storage, index, AMBASSADOR, "eurodaily", FEB),
        add(storage, index, MISSILE_DECOY, "globalpost", FEB),
        add(storage, index, FOOTBALL_DECOY, "asiatimes", FEB),
    ]
    assert all(o.is_new and o.articles == 1 for o in others)
    assert len({o.story_id for o in others} | {story}) == 5


def test_august_articles_are_two_stories_and_the_february_report_a_third(storage, index):
    troops = add(storage, index, TROOPS_CLAIM, "asiatimes", AUG)
    ambassador = add(storage, index, AMBASSADOR, "northwire", AUG + timedelta(days=1))
    february = add(storage, index, RETELLING_1, "eurodaily", FEB)
    assert troops.is_new and ambassador.is_new and february.is_new


def test_a_retelling_outside_the_window_starts_a_new_story(storage, index):
    first = add(storage, index, RETELLING_1, "northwire", FEB)
    late = add(storage, index, RETELLING_2, "eurodaily", FEB + timedelta(days=30))
    assert late.is_new and late.story_id != first.story_id


def test_window_comes_from_config(storage):
    index = StoryIndex(storage.db, StoriesConfig(window=60 * 86400))
    first = add(storage, index, RETELLING_1, "northwire", FEB)
    assert add(storage, index, RETELLING_2, "eurodaily", FEB + timedelta(days=30)).story_id == first.story_id


def test_an_edited_repost_by_the_same_outlet_is_a_near_duplicate(storage, index):
    first = add(storage, index, RETELLING_1, "northwire", FEB)
    edited = "UPDATED with the Kremlin's silence. " + RETELLING_1.replace("The Kremlin has not commented.", "")
    assert jaccard(signature(edited).minhash, signature(RETELLING_1).minhash) >= 0.5
    repost = add(storage, index, edited, "northwire", FEB + timedelta(days=40))
    assert repost.story_id == first.story_id and repost.outlets == ("northwire",)


def test_an_outlets_own_boilerplate_does_not_join_its_articles(storage, index):
    missile = MISSILE_DECOY + FOOTER
    football = FOOTBALL_DECOY + FOOTER
    # The footer alone would pass as a shared report between two outlets...
    assert len(signature(missile).phrases & signature(football).phrases) >= StoriesConfig().shared_phrases
    first = add(storage, index, missile, "northwire", FEB)
    # ...but within one outlet it is ignored.
    assert add(storage, index, football, "northwire", FEB).story_id != first.story_id


def test_a_stock_phrase_shared_by_many_stored_articles_stops_grouping(storage, index):
    rng = random.Random(7)
    words = FOOTBALL_DECOY.split() + MISSILE_DECOY.split()
    for i in range(COMMON_PHRASE + 1):
        add(storage, index, " ".join(rng.choices(words, k=60)) + FOOTER, f"outlet{i}", FEB)
    late = add(storage, index, " ".join(rng.choices(words, k=60)) + FOOTER, "latecomer", FEB)
    assert late.is_new


def test_a_copy_joins_its_originals_story_and_adds_its_outlet(storage, index):
    story = add(storage, index, RETELLING_1, "northwire", FEB)
    with storage.transaction():
        original = storage.article_by_hash(content_hash(RETELLING_1))
        copy_id = storage.insert_article(
            Article(
                url="https://partner.example/copy",
                canonical_url="https://partner.example/copy",
                source="partner",
                title="copy",
                text=RETELLING_1,
                fetched=FEB,
            ),
            content_hash=content_hash(RETELLING_1),
            duplicate_of=original,
        )
        copied = index.add_copy(copy_id, original, "partner", FEB + timedelta(hours=3))
    assert copied.story_id == story.story_id and not copied.is_new
    assert copied.outlets == ("northwire", "partner") and copied.articles == 2
    assert story_outlets(storage.db, story.story_id) == ["northwire", "partner"]


def test_assign_is_idempotent(storage, index):
    with storage.transaction():
        article_id = insert(storage, RETELLING_1, "northwire", FEB)
        first = index.assign(article_id, RETELLING_1, "en", FEB, "northwire")
        again = index.assign(article_id, RETELLING_1, "en", FEB, "northwire")
    assert again.story_id == first.story_id and again.articles == 1 and not again.is_new


def test_text_shorter_than_a_shingle_gets_a_story_of_its_own(storage, index):
    assert add(storage, index, "Breaking news.", "northwire", FEB).is_new
    assert add(storage, index, "Breaking news.", "eurodaily", FEB).is_new


def test_the_index_persists_in_the_database_file(tmp_path):
    path = tmp_path / "persist.db"
    store = Storage(path)
    story = add(store, StoryIndex(store.db, StoriesConfig()), RETELLING_1, "northwire", FEB).story_id
    store.close()
    reopened = Storage(path)
    try:
        joined = add(reopened, StoryIndex(reopened.db, StoriesConfig()), RETELLING_3, "globalpost", FEB)
    finally:
        reopened.close()
    assert joined.story_id == story


def test_assignment_rolls_back_with_the_pipeline_transaction(storage, index):
    with pytest.raises(RuntimeError):
        with storage.transaction():
            article_id = insert(storage, RETELLING_1, "northwire", FEB)
            index.assign(article_id, RETELLING_1, "en", FEB, "northwire")
            raise RuntimeError("matching failed")
    assert storage.db.execute("select count(*) from story_articles").fetchone()[0] == 0
    assert storage.db.execute("select count(*) from story_keys").fetchone()[0] == 0


def test_list_stories_latest_first_with_since(storage, index):
    feb = add(storage, index, RETELLING_1, "northwire", FEB)
    add(storage, index, RETELLING_2, "eurodaily", FEB + timedelta(days=1))
    aug = add(storage, index, TROOPS_CLAIM, "asiatimes", AUG)
    found = list_stories(storage.db)
    assert [s.story_id for s in found] == [feb.story_id, aug.story_id]
    assert found[0].articles == 2 and found[0].outlets == ("northwire", "eurodaily")
    assert found[0].title == " ".join(RETELLING_1.split()[:8])
    assert found[0].first == FEB and found[0].last == FEB + timedelta(days=1)
    assert [s.story_id for s in list_stories(storage.db, since=FEB + timedelta(hours=1))] == [feb.story_id]


def test_stories_command_lists_stories_as_text_and_json(tmp_path):
    config = write_config(tmp_path, "")
    store = Storage(load_config(config).storage.database)
    index = StoryIndex(store.db, StoriesConfig())
    story = add(store, index, RETELLING_1, "northwire", FEB).story_id
    add(store, index, RETELLING_2, "eurodaily", FEB + timedelta(days=1))
    add(store, index, TROOPS_CLAIM, "asiatimes", AUG)
    store.close()

    text = run_cli("stories", "--config", str(config))
    assert text.returncode == 0, text.stderr
    assert f"{story}  2 articles, 2023-02-02 to 2023-02-03" in text.stdout
    assert "outlets: northwire, eurodaily" in text.stdout

    listed = run_cli("stories", "--config", str(config), "--since", "2023-01-01", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout) == [
        {
            "story_id": story,
            "title": " ".join(RETELLING_1.split()[:8]),
            "first": "2023-02-02T09:00:00+00:00",
            "last": "2023-02-03T09:00:00+00:00",
            "articles": 2,
            "outlets": ["northwire", "eurodaily"],
        }
    ]


def test_stories_command_on_an_empty_database_and_a_bad_date(tmp_path):
    config = write_config(tmp_path, "")
    empty = run_cli("stories", "--config", str(config))
    assert empty.returncode == 0 and "no stories" in empty.stdout
    bad = run_cli("stories", "--config", str(config), "--since", "last tuesday")
    assert bad.returncode == 2 and "--since" in bad.stderr


def test_shared_phrases_is_validated(tmp_path):
    config = write_config(tmp_path, "[stories]\nshared_phrases = 0\n")
    with pytest.raises(ConfigError, match=r"stories\.shared_phrases: must be at least 1"):
        load_config(config)


def demo_config(tmp_path, site):
    """The demo's own sources, plus the tag page that links the AMP edition of one article."""
    tags = f"""
    [[sources]]
    name = "asiatimes-tags"
    pages = ["{site.url('/asiatimes/tag/north-korea/')}"]
    follow = "/asiatimes/(amp/)?news/"
    """
    return write_config(tmp_path, demo_sources(site.base_url) + tags)


def test_crawling_the_demo_site_groups_its_labeled_stories(tmp_path, demo_site):
    config = demo_config(tmp_path, demo_site)
    result = crawl(config)
    assert result.returncode == 0, result.stderr + result.stdout
    manifest = json.loads((SITE / "manifest.json").read_text(encoding="utf-8"))
    labels = {demo_site.url(e["path"]): e["story"] for e in manifest if e["kind"] == "article"}
    originals = query(config, "select * from articles where duplicate_of is null")
    stored = {r["canonical_url"]: r["story_id"] for r in originals}
    assert set(stored) == set(labels), "every demo article is stored once, under its canonical URL"

    story_of_label: dict[str, str] = {}
    for url, label in labels.items():
        assert stored[url] is not None
        if label is not None:
            assert story_of_label.setdefault(label, stored[url]) == stored[url], f"{url} left story {label}"
    assert len(set(story_of_label.values())) == len(story_of_label), "two labeled stories were merged"
    unlabeled = [stored[url] for url, label in labels.items() if label is None]
    assert len(set(unlabeled)) == len(unlabeled) and not set(unlabeled) & set(story_of_label.values())

    listed = run_cli("stories", "--config", str(config), "--json")
    by_id = {s["story_id"]: s for s in json.loads(listed.stdout)}
    workers = by_id[story_of_label["feb2023-workers"]]
    # the Feb 2023 Daily NK reporting, in English and in Russian; eurodaily's article covers both of its parts
    assert workers["articles"] == 5
    assert sorted(workers["outlets"]) == ["asiatimes", "eurodaily", "globalpost", "northwire"]


def test_tracking_and_amp_urls_of_one_demo_article_store_it_once(tmp_path, demo_site):
    config = demo_config(tmp_path, demo_site)
    assert crawl(config).returncode == 0
    troops = demo_site.url("/asiatimes/news/3412957-north-korea-could-send-100000-soldiers-donbas.html")
    amp = "/asiatimes/amp/news/3412957-north-korea-could-send-100000-soldiers-donbas.html"
    rows = query(config, "select * from articles where canonical_url = ?", (troops,))
    assert [r["url"] for r in rows] == [troops], "the listing's utm_ link is stored without its parameters"
    assert demo_site.hits[amp] == 0, "an AMP link is fetched as its regular edition"
    assert not query(config, "select url from urls where url like '%utm_%'")


def test_joining_a_story_does_not_reindex_the_text_and_the_full_text_index_stays_right(tmp_path):
    path = tmp_path / "fts.db"
    Storage(path).close()
    store = Storage(path)
    # A database made before the fix has sqlite-utils' trigger on any update: opening it replaces that.
    store.db.execute("drop trigger articles_au")
    store.db.execute(
        'CREATE TRIGGER "articles_au" AFTER UPDATE ON "articles" BEGIN'
        ' INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text")'
        " VALUES('delete', old.rowid, old.\"title\", old.\"text\");"
        ' INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text"); END'
    )
    store.close()
    store = Storage(path)
    index = StoryIndex(store.db, StoriesConfig())
    assigned = add(store, index, RETELLING_1, "northwire", FEB)
    conn = store.db.conn
    before = conn.total_changes  # counts the rows that triggers change, too
    store.db.execute("update articles set story_id = 'story-x'")
    assert conn.total_changes - before == 1
    search = "select rowid from articles_fts where articles_fts match ?"
    assert store.db.execute(search, ["Pyongyang"]).fetchall() == [(1,)]
    store.db.execute("update articles set text = 'nothing left here'")
    assert store.db.execute(search, ["Pyongyang"]).fetchall() == []
    assert store.db.execute(search, ["nothing"]).fetchall() == [(1,)]
    assert assigned.story_id
    store.close()
