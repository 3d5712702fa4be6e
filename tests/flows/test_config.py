"""Sources TOML: the documented shape loads; every mistake names the file and the key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flows.config import ConfigError, load_config

ISSUE_SHAPE = """
[[sources]]
name = "site1"
homepage = "http://127.0.0.2:8765/"
feeds = ["http://127.0.0.2:8765/rss.xml"]
sitemaps = ["http://127.0.0.2:8765/sitemap.xml"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_shape_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ISSUE_SHAPE))
    (source,) = config.sources
    assert source.name == "site1"
    assert source.feeds == ("http://127.0.0.2:8765/rss.xml",)
    assert source.sitemaps == ("http://127.0.0.2:8765/sitemap.xml",)
    assert config.settings.allow_private is False


def test_settings_are_read_and_overridden(tmp_path: Path) -> None:
    text = ISSUE_SHAPE + '\n[settings]\ndb = "news.duckdb"\nconcurrency = 4\ndedup_threshold = 0.7\n'
    settings = load_config(write(tmp_path, text)).settings
    assert (settings.db, settings.concurrency, settings.dedup_threshold) == ("news.duckdb", 4, 0.7)
    assert settings.with_overrides(db="other.duckdb", concurrency=None).db == "other.duckdb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ISSUE_SHAPE + 'colour = "red"\n', "unknown key 'colour'"),
        (ISSUE_SHAPE + "\n[settings]\nthreads = 3\n", "unknown key 'threads'"),
        (ISSUE_SHAPE + "\n[settings]\ndedup_threshold = 1.5\n", "dedup_threshold=1.5 is outside (0, 1)"),
        (ISSUE_SHAPE + '\n[settings]\ncanonical_rule = "newest"\n', "canonical_rule='newest' is unknown"),
        (ISSUE_SHAPE + '\n[settings]\nconcurrency = "many"\n', "concurrency: expected int"),
        ('[[sources]]\nname = "x"\nfeeds = ["ftp://example.org/rss"]\n', "is not an http(s) URL"),
        ('[[sources]]\nname = "x"\n', "nothing to discover articles from"),
        ("[[sources]\nname=", "not valid TOML"),
        ("", "no [[sources]] tables"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_a_memory_limit_must_be_a_size(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "a"\nfeeds = ["https://a.example/rss"]\n[settings]\ndb_memory_limit = "lots"\n'
    )
    with pytest.raises(ConfigError, match="db_memory_limit='lots' is not a size such as '2GB'"):
        load_config(path)


def test_crawl_delay_settings_reach_the_fetch_policy(tmp_path: Path) -> None:
    from flows.ingest import fetch_policy

    text = ISSUE_SHAPE + '\n[settings]\nmax_crawl_delay = 5\ncrawl_delay_over_cap = "skip"\n'
    policy = fetch_policy(load_config(write(tmp_path, text)).settings)
    assert (policy.max_crawl_delay, policy.crawl_delay_over_cap) == (5.0, "skip")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("max_crawl_delay = -1", "max_crawl_delay=-1.0 must be from 0 to 86400 seconds"),
        ("max_crawl_delay = nan", "max_crawl_delay=nan must be from 0 to 86400 seconds"),
        ('crawl_delay_over_cap = "wait"', "crawl_delay_over_cap='wait' is unknown; use 'cap'"),
    ],
)
def test_crawl_delay_settings_are_validated(tmp_path: Path, setting: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, ISSUE_SHAPE + f"\n[settings]\n{setting}\n"))
