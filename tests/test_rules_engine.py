"""The compiled matcher: terms, boundaries in several scripts, AND/OR/NOT, proximity, scores, hits, snippets."""

from __future__ import annotations

import json

import pytest

from newswatch.models import Match
from newswatch.rules.engine import NOTHING_FOUND, Matcher
from newswatch.rules.language import parse_rules_file


@pytest.fixture
def compile_rules(tmp_path):
    """Rules from TOML text, compiled."""

    def compile_(toml: str) -> Matcher:
        path = tmp_path / "rules.toml"
        path.write_text(toml, encoding="utf-8")
        return Matcher(parse_rules_file(path))

    return compile_


@pytest.fixture
def finds(compile_rules):
    """finds(terms, text): the surface terms a one-group rule over those terms finds in `text`."""

    def finds_(terms: list[str], text: str) -> list[str]:
        matcher = compile_rules(f'[[rules]]\nname = "t"\ncategory = "labor"\n[rules.groups]\ng = {json.dumps(terms)}\n')
        matches = matcher.match("", text)
        return [hit.term for hit in matches[0].hits] if matches else []

    return finds_


def test_matching_ignores_case_and_accents(finds):
    assert finds(["Pjöngjang"], "Delegates flew to PJONGJANG on Monday.") == ["PJONGJANG"]
    assert finds(["pyongyang"], "Reportage from Pyŏngyang.") == ["Pyŏngyang"]
    assert finds(["еще"], "Ещё одна партия") == ["Ещё"]
    assert finds(["CAFÉ"], "a cafe") == ["cafe"]


def test_latin_terms_respect_word_boundaries(finds):
    assert finds(["labor"], "an elaborate laboratory") == []
    assert finds(["labor"], "forced labor, labor's price") == ["labor", "labor"]
    assert finds(["labo*"], "elaborate plans for laborers") == ["laborers"]


def test_cyrillic_terms_respect_word_boundaries_and_wildcards(finds):
    assert finds(["рабоч*"], "северокорейских рабочих и подрабочий") == ["рабочих"]
    assert finds(["КНДР"], "из КНДР, а не КНДРовские") == ["КНДР"]
    assert finds(["Северн* Коре*"], "посол Северной Кореи заявил") == ["Северной Кореи"]


def test_hangul_terms_match_with_particles_but_not_inside_other_words(finds):
    text = "북한이 보냈다. 북한의 입장. 러시아에서는 북한에서도 남북한 북한산"
    assert finds(["북한"], text) == ["북한", "북한", "북한"]
    assert finds(["러시아"], text) == ["러시아"]
    assert finds(["노동자"], "노동자들을 파견했다") == ["노동자"]


def test_hangul_wildcards_take_verb_endings_that_plain_terms_do_not(finds):
    assert finds(["파병*"], "파병을 결정했고 파병한 병력") == ["파병을", "파병한"]
    assert finds(["파견"], "파견을 검토했다. 파견했다") == ["파견"]


def test_terms_in_scripts_without_spaces_match_inside_longer_runs(finds):
    assert finds(["北朝鮮"], "北朝鮮軍がロシアに派遣された") == ["北朝鮮"]


def test_phrases_match_across_hyphens_line_breaks_and_runs_of_spaces(finds):
    assert finds(["Kim Jong Un"], "Kim Jong-un said") == ["Kim Jong-un"]
    assert finds(["North Korea"], "North\nKorea and North  Korea and North — Korea") == [
        "North\nKorea",
        "North  Korea",
        "North — Korea",
    ]


def test_hit_positions_point_into_the_original_text_even_where_folding_changes_lengths(finds, compile_rules):
    text = "Die Straße\u00adnarbeiter: ﬁnale Grüße an Nordkorea. Cafe\u0301 in Pjöngjang, dann Nordkorea."
    matcher = compile_rules(
        '[[rules]]\nname = "t"\ncategory = "labor"\n[rules.groups]\ng = ["Nordkorea", "Pjöngjang"]\n'
    )
    (match,) = matcher.match("", text)
    assert [h.term for h in match.hits] == ["Nordkorea", "Pjöngjang", "Nordkorea"]
    for hit in match.hits:
        assert text[hit.start : hit.end] == hit.term


TWO_GROUPS = """
[[rules]]
name = "labor"
category = "labor"
{options}
[rules.groups]
who = ["North Korea*", "DPRK"]
what = ["worker*", "laborers"]
"""


def test_every_group_is_needed_and_any_term_of_a_group_will_do(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options=""))
    assert matcher.match("", "The DPRK sent laborers.")[0].terms == ("DPRK", "laborers")
    assert matcher.match("", "North Korean workers arrived.")[0].terms == ("North Korean", "workers")
    assert matcher.match("", "North Korea fired a missile.") == []


def test_an_exclusion_term_anywhere_stops_the_rule(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options='exclude = ["satellite"]'))
    assert matcher.match("", "North Korean workers arrived.") != []
    assert matcher.match("", "North Korean workers arrived. The satellite launch failed.") == []
    (verdict,) = matcher.explain("", "North Korean workers and a satellite")
    assert verdict.match is None and verdict.reason == "excluded: found 'satellite'"


def test_ignored_phrases_do_not_count_as_hits(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options='ignore = ["Workers\' Party"]'))
    assert matcher.match("", "North Korea's Workers' Party met.") == []
    (match,) = matcher.match("", "North Korea's Workers' Party sent workers.")
    assert [h.term for h in match.hits if h.group == "what"] == ["workers"]


def test_proximity_in_words_counts_only_terms_close_to_the_other_group(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options="within = 5"))
    far = "North Korea said on Monday that after a long and winding meeting with officials the workers left."
    assert matcher.match("", far) == []
    near = "North Korea said that workers left. " + "Filler words go on and on and on and on. " * 3 + "The DPRK again."
    (match,) = matcher.match("", near)
    assert [h.term for h in match.hits] == ["North Korea", "workers"]  # the lone DPRK far away does not count
    assert match.score == 2


def test_proximity_by_sentence(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options='within = "sentence"'))
    assert matcher.match("", "North Korea is isolated. Workers went on strike in Detroit.") == []
    assert matcher.match("", "North Korea is isolated, and its workers went abroad.") != []
    assert matcher.match("", "North Korea recruited workers on Jan. 20 last year.") != []


def test_title_hits_weigh_more_and_min_score_keeps_a_passing_mention_quiet(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options="within = 10\nmin_score = 4"))
    passing = "Long story about Detroit. " * 5 + "North Korean workers were mentioned once. " + "More on Detroit. " * 5
    assert matcher.match("Detroit car makers", passing) == []
    (verdict,) = matcher.explain("Detroit car makers", passing)
    assert verdict.reason == "score 2 is below min_score 4"
    (match,) = matcher.match("North Korean workers", "They left.")
    assert match.score == 6  # two title hits, 3 points each


def test_fields_limit_where_a_rule_looks(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options='fields = ["title"]'))
    assert matcher.match("Markets today", "North Korean workers arrived.") == []
    assert matcher.match("North Korean workers", "Markets today") != []


def test_a_match_says_which_rule_category_terms_and_where(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options=""))
    title, text = "Workers from the DPRK", "Officials said North Korean workers and more workers arrived."
    (match,) = matcher.match(title, text)
    assert isinstance(match, Match) and (match.rule, match.category) == ("labor", "labor")
    assert match.terms == ("Workers", "DPRK", "North Korean")  # distinct, in order of first appearance
    assert [(h.field, h.group) for h in match.hits][:2] == [("title", "what"), ("title", "who")]
    for hit in match.hits:
        assert (title if hit.field == "title" else text)[hit.start : hit.end] == hit.term


def test_the_snippet_is_plain_text_around_the_strongest_hit(compile_rules):
    matcher = compile_rules(TWO_GROUPS.format(options=""))
    filler = "Nothing   to\nsee here at all. " * 20
    text = filler + "Pyongyang denied it, but North Korea sent 500 workers to Russia last month. " + filler
    (match,) = matcher.match("", text)
    assert "North Korea sent 500 workers" in match.snippet
    assert len(match.snippet) <= 210
    assert match.snippet.startswith("…") and match.snippet.endswith("…")
    assert "\n" not in match.snippet and "  " not in match.snippet


def test_explain_gives_every_rule_a_reason(compile_rules):
    matcher = compile_rules(
        TWO_GROUPS.format(options="")
        + '\n[[rules]]\nname = "other"\ncategory = "troops"\n[rules.groups]\nx = ["troops"]\n'
    )
    labor, other = matcher.explain("", "North Korea fired a missile.")
    assert labor.match is None and labor.reason == "no term of group 'what'"
    assert other.match is None and other.reason == NOTHING_FOUND


def test_no_rules_match_nothing():
    assert Matcher([]).match("North Korea", "workers") == []


def test_many_rules_in_one_automaton_keep_to_their_own_terms(compile_rules):
    toml = "".join(
        f'[[rules]]\nname = "r{i}"\ncategory = "labor"\n[rules.groups]\na = ["alpha{i}"]\nb = ["beta{i}*"]\n'
        for i in range(300)
    )
    matcher = compile_rules(toml)
    assert [m.rule for m in matcher.match("", "alpha17 and beta17x, alpha18 and beta180")] == ["r17", "r18"]
    assert [m.rule for m in matcher.match("", "alpha1 and beta2")] == []
