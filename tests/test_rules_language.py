"""The rule language: what config.toml and rules files may say, and the errors for what they may not."""

from __future__ import annotations

import pytest
from conftest import CRAWL_DEFAULTS, run_cli, write_config

from newswatch.config import load_config
from newswatch.errors import ConfigError
from newswatch.rules.language import BUILTIN_CATEGORIES, load_default_rules, parse_rules_file, parse_term

FULL_RULES = """
categories = ["sanctions"]

[term_lists]
dprk = ["North Korea*", "DPRK"]

[[rules]]
name = "labor-en"
category = "labor"
language = "en"
fields = ["title"]
within = 12
near = ["who", "what"]
min_score = 4
title_weight = 2
exclude = ["missile test*"]
ignore = ["Workers' Party"]
[rules.groups]
who = ["@dprk", "Pyongyang"]
what = ["labo*", "worker*"]
where = ["Russia*"]

[[rules]]
name = "sanctions-ru"
category = "sanctions"
within = "sentence"
[rules.groups]
who = ["КНДР"]
what = ["санкци*"]
"""


def test_a_rules_file_with_every_feature_parses_into_typed_rules(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(FULL_RULES, encoding="utf-8")
    labor, sanctions = parse_rules_file(path)
    assert labor.name == "labor-en" and labor.category == "labor" and labor.language == "en"
    assert [g.name for g in labor.groups] == ["who", "what", "where"]
    assert [t.text for t in labor.groups[0].terms] == ["North Korea*", "DPRK", "Pyongyang"]
    assert labor.fields == ("title",)
    assert labor.near is not None and labor.near.groups == ("who", "what") and labor.near.words == 12
    assert (labor.min_score, labor.title_weight) == (4.0, 2.0)
    assert [t.text for t in labor.exclude] == ["missile test*"]
    assert [t.text for t in labor.ignore] == ["Workers' Party"]
    assert sanctions.category == "sanctions"
    assert sanctions.near is not None and sanctions.near.words is None and sanctions.near.groups == ("who", "what")
    assert sanctions.fields == ("title", "text") and sanctions.min_score == 1.0


@pytest.mark.parametrize(
    "text, words, prefix",
    [
        ("labo*", ("labo",), (True,)),
        ("North Korea", ("North", "Korea"), (False, False)),
        ("  Северн*   Коре* ", ("Северн", "Коре"), (True, True)),
        ("파병*", ("파병",), (True,)),
        ("KN-23", ("KN-23",), (False,)),
    ],
)
def test_terms_are_words_with_optional_trailing_wildcards(text, words, prefix):
    term = parse_term(text)
    assert (term.words, term.prefix) == (words, prefix)


@pytest.mark.parametrize(
    "text, message",
    [
        ("la*bo", "'*' may only end a word"),
        ("labo**", "'*' may only end a word"),
        ("*", "needs a letter or a digit"),
        ("a*", "at least two letters before it"),
        ("(DPRK|NK)", "not regular expressions"),
        ("labo?", "not regular expressions"),
        ("   ", "empty term"),
    ],
)
def test_invalid_terms_say_what_is_wrong(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        parse_term(text)


def rules_config(tmp_path, rules: str):
    """A config.toml with `rules` first, so that its top-level keys stay top-level."""
    return write_config(tmp_path, "", defaults=rules + "\n" + CRAWL_DEFAULTS)


@pytest.mark.parametrize(
    "rules, expected",
    [
        (
            '[[rules]]\nname = "bad"\ncategory = "labor"\n[rules.groups]\nwho = ["la*bo"]\n',
            ["rules[1] (bad).groups.who", "'la*bo'", "'*' may only end a word"],
        ),
        (
            '[[rules]]\nname = "bad"\ncategory = "labor"\n[rules.groups]\nwho = ["DPRK"]\nwhat = []\n',
            ["rules[1] (bad).groups.what", "is empty"],
        ),
        (
            '[[rules]]\nname = "bad"\ncategory = "labor"\n',
            ["rules[1] (bad).groups", "needs at least one group"],
        ),
        (
            '[[rules]]\nname = "bad"\ncategory = "labor"\nfields = ["body"]\n[rules.groups]\nwho = ["DPRK"]\n',
            ["rules[1] (bad).fields", "unknown field 'body'"],
        ),
        (
            '[[rules]]\nname = "bad"\ncategory = "trops"\n[rules.groups]\nwho = ["DPRK"]\n',
            ["rules[1] (bad).category", "unknown category 'trops'", "did you mean 'troops'"],
        ),
        (
            (
                '[[rules]]\nname = "twice"\ncategory = "labor"\n[rules.groups]\na = ["x1"]\n'
                '[[rules]]\nname = "twice"\ncategory = "troops"\n[rules.groups]\na = ["x2"]\n'
            ),
            ["rules[2] (twice).name", "rule name 'twice' is used twice"],
        ),
        (
            (
                '[[rules]]\nname = "bad"\ncategory = "labor"\nwithin = 5\nnear = ["who", "wat"]\n'
                '[rules.groups]\nwho = ["DPRK"]\nwhat = ["workers"]\n'
            ),
            ["rules[1] (bad).near", "unknown group 'wat'", "did you mean 'what'"],
        ),
        (
            '[[rules]]\nname = "bad"\ncategory = "labor"\nwithin = "paragraph"\n[rules.groups]\nwho = ["DPRK"]\n',
            ["rules[1] (bad).within", '"sentence"'],
        ),
        (
            '[[rules]]\nname = "bad"\ncategory = "labor"\nmin_scor = 3\n[rules.groups]\nwho = ["DPRK"]\n',
            ["rules[1] (bad).min_scor", "did you mean 'min_score'"],
        ),
        (
            (
                '[[rules]]\nname = "bad"\ncategory = "labor"\n[rules.groups]\nwho = ["@dprk_e"]\n'
                '[term_lists]\ndprk_en = ["DPRK"]\n'
            ),
            ["rules[1] (bad).groups.who", "unknown term list '@dprk_e'", "did you mean '@dprk_en'"],
        ),
        ('rules_file = "missing.toml"\n', ["missing.toml", "rules file not found"]),
    ],
)
def test_bad_rules_stop_loading_with_the_rule_and_key_named(tmp_path, rules, expected):
    path = rules_config(tmp_path, rules)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert str(path) in message or "missing.toml" in message
    for part in expected:
        assert part in message


def test_a_rule_name_in_both_the_rules_file_and_config_toml_is_an_error(tmp_path):
    (tmp_path / "mine.toml").write_text(
        '[[rules]]\nname = "same"\ncategory = "labor"\n[rules.groups]\na = ["x"]\n', encoding="utf-8"
    )
    path = rules_config(
        tmp_path, 'rules_file = "mine.toml"\n[[rules]]\nname = "same"\ncategory = "troops"\n[rules.groups]\na = ["y"]\n'
    )
    with pytest.raises(ConfigError, match="rule name 'same' is used twice"):
        load_config(path)


def test_a_users_own_category_must_be_declared(tmp_path):
    rule = '[[rules]]\nname = "mine"\ncategory = "sanctions"\n[rules.groups]\na = ["sanction*"]\n'
    with pytest.raises(ConfigError, match="unknown category 'sanctions'"):
        load_config(rules_config(tmp_path, rule))
    config = load_config(rules_config(tmp_path, 'categories = ["sanctions"]\n' + rule))
    assert [r.category for r in config.rules] == ["sanctions"]


def test_no_rules_means_the_shipped_defaults_and_an_empty_list_turns_matching_off(tmp_path):
    assert load_config(rules_config(tmp_path, "")).rules == load_default_rules()
    assert load_config(rules_config(tmp_path, "rules = []\n")).rules == ()


def test_a_rules_file_and_inline_rules_add_up(tmp_path):
    (tmp_path / "mine.toml").write_text(
        '[[rules]]\nname = "from-file"\ncategory = "labor"\n[rules.groups]\na = ["x"]\n', encoding="utf-8"
    )
    config = load_config(
        rules_config(
            tmp_path,
            'rules_file = "mine.toml"\n[[rules]]\nname = "inline"\ncategory = "troops"\n[rules.groups]\na = ["y"]\n',
        )
    )
    assert [r.name for r in config.rules] == ["from-file", "inline"]


def test_default_rules_cover_every_category_in_english_korean_russian_and_ukrainian():
    rules = load_default_rules()
    covered = {(r.category, r.language) for r in rules}
    for category in BUILTIN_CATEGORIES:
        for language in ("en", "ko", "ru", "uk"):
            assert (category, language) in covered
    assert all(r.near is not None and r.min_score > 1 for r in rules)


def test_rules_check_prints_a_summary_and_fails_with_exit_2_on_a_bad_rule(tmp_path):
    good = run_cli("rules", "check", "--config", str(rules_config(tmp_path, "")))
    assert good.returncode == 0, good.stderr
    assert "21 rules OK" in good.stdout
    for category in BUILTIN_CATEGORIES:
        line = next(line for line in good.stdout.splitlines() if line.startswith(category))
        assert "en" in line and "ko" in line and "ru" in line and "uk" in line
    assert "fields: title+text 21" in good.stdout

    bad = run_cli(
        "rules",
        "check",
        "--config",
        str(rules_config(tmp_path, '[[rules]]\nname = "typo"\ncategory = "trops"\n[rules.groups]\na = ["x"]\n')),
    )
    assert bad.returncode == 2
    assert "rules[1] (typo).category" in bad.stderr and "did you mean 'troops'" in bad.stderr
