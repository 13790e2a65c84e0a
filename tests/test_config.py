"""Configuration: typed values, and errors that name the file, line or key at fault."""

from __future__ import annotations

import pytest

from conftest import REPO, run_cli, write_config
from newswatch.config import load_config
from newswatch.errors import ConfigError

SOURCE = '[[sources]]\nname = "s"\nfeeds = ["http://127.0.0.1:9/feed"]\n'


def test_shipped_config_is_valid():
    config = load_config(REPO / "config.toml")
    assert len(config.sources) >= 5
    assert config.rules, "the shipped config must carry the default rules"


def test_durations_and_defaults(tmp_path):
    config = load_config(write_config(tmp_path, SOURCE + 'every = "90s"\n'))
    assert config.sources[0].every == 90
    assert config.crawl.max_concurrency_per_domain == 4
    assert config.crawl.obey_robots_txt is True
    assert config.storage.database == tmp_path / "data" / "newswatch.db"


def test_invalid_toml_names_the_line(tmp_path):
    path = write_config(tmp_path, SOURCE + "every = \n")
    with pytest.raises(ConfigError, match=r"config\.toml: invalid TOML: .*line 1[0-9]"):
        load_config(path)


def test_unknown_key_is_named_with_a_suggestion(tmp_path):
    path = write_config(tmp_path, SOURCE + 'evry = "10m"\n')
    with pytest.raises(ConfigError, match=r"sources\[1\] \(s\)\.evry: unknown key \(did you mean 'every'\?\)"):
        load_config(path)


def test_mistyped_value_names_the_key(tmp_path):
    path = write_config(tmp_path, SOURCE, defaults='[crawl]\ndownload_delay = "fast"\n')
    with pytest.raises(ConfigError, match=r"crawl\.download_delay: expected a number"):
        load_config(path)


def test_bad_duration_and_regex(tmp_path):
    with pytest.raises(ConfigError, match=r"every: expected a duration"):
        load_config(write_config(tmp_path, SOURCE + 'every = "soon"\n'))
    with pytest.raises(ConfigError, match=r"follow: invalid regular expression"):
        load_config(write_config(tmp_path, '[[sources]]\nname = "s"\npages = ["http://x.org/"]\nfollow = "(["\n'))


def test_source_needs_urls_and_unique_name(tmp_path):
    with pytest.raises(ConfigError, match="needs at least one of feeds, sitemaps or pages"):
        load_config(write_config(tmp_path, '[[sources]]\nname = "s"\n'))
    with pytest.raises(ConfigError, match="used twice"):
        load_config(write_config(tmp_path, SOURCE + SOURCE))


def test_cli_config_error_is_one_line_and_exit_2(tmp_path):
    path = write_config(tmp_path, SOURCE + 'evry = "10m"\n')
    result = run_cli("crawl", "--config", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "evry" in lines[0] and "Traceback" not in result.stderr


def test_missing_config_file(tmp_path):
    result = run_cli("crawl", "--config", str(tmp_path / "nope.toml"))
    assert result.returncode == 2
    assert "nope.toml: config file not found" in result.stderr


def test_config_from_environment_variable(tmp_path):
    path = write_config(tmp_path, SOURCE + 'evry = "10m"\n')
    result = run_cli("crawl", env={"NEWSWATCH_CONFIG": str(path)})
    assert result.returncode == 2 and str(path) in result.stderr


def test_cron_is_validated_with_the_schedulers_rules(tmp_path):
    with pytest.raises(ConfigError, match=r"cron: invalid cron expression '0 0 30 2 \*': it never fires"):
        load_config(write_config(tmp_path, SOURCE + 'cron = "0 0 30 2 *"\n'))
    with pytest.raises(ConfigError, match=r"cron: invalid cron expression 'every day'"):
        load_config(write_config(tmp_path, SOURCE + 'cron = "every day"\n'))
    assert load_config(write_config(tmp_path, SOURCE + 'cron = "0 9 * * 7"\n')).sources[0].cron == "0 9 * * 7"
