"""Sources TOML: the documented shape loads; every mistake names the file and the key."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from crawl.policy import FetchPolicy
from flows.config import RANGES, ConfigError, Settings, load_config, parse_config

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
    assert config.settings.fetch.allow_private is False


def test_a_homepage_alone_is_a_source_whose_feeds_and_sitemaps_are_found_for_it(tmp_path: Path) -> None:
    text = '[[sources]]\nname = "a"\nhomepage = "https://a.example/"\n' + ISSUE_SHAPE
    text += '\n[[sources]]\nname = "b"\nhomepage = "https://b.example/"\nsitemaps = ["https://b.example/s.xml"]\n'
    text += "autodiscover = true\n"
    found = {source.name: source.autodiscover for source in load_config(write(tmp_path, text)).sources}
    # Given feeds or sitemaps are what the user chose: robots.txt's other sitemaps are read only when asked.
    assert found == {"a": True, "site1": False, "b": True}


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    # Windows editors write one; it read "not valid TOML: Invalid statement (at line 1, column 1)".
    path = tmp_path / "sources.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ISSUE_SHAPE.encode())
    (tmp_path / "plain").mkdir()
    plain, with_mark = load_config(write(tmp_path / "plain", ISSUE_SHAPE)), load_config(path)
    assert (with_mark.sources, with_mark.settings) == (plain.sources, plain.settings)


def test_settings_are_read_and_overridden(tmp_path: Path) -> None:
    text = ISSUE_SHAPE + '\n[settings]\ndb = "news.duckdb"\nconcurrency = 4\ndedup_threshold = 0.7\n'
    settings = load_config(write(tmp_path, text)).settings
    assert (settings.db, settings.fetch.concurrency, settings.dedup_threshold) == ("news.duckdb", 4, 0.7)
    assert settings.with_overrides(db="other.duckdb", concurrency=None).db == "other.duckdb"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (ISSUE_SHAPE + 'colour = "red"\n', "unknown key 'colour'"),
        (ISSUE_SHAPE + "\n[settings]\nthreads = 3\n", "unknown key 'threads'"),
        (
            ISSUE_SHAPE + "\n[settings]\ndedup_threshold = 1.5\n",
            "dedup_threshold must be a number between 0 and 1, exclusive, got 1.5",
        ),
        (ISSUE_SHAPE + '\n[settings]\ncanonical_rule = "newest"\n', "canonical_rule='newest' is unknown"),
        (ISSUE_SHAPE + '\n[settings]\nconcurrency = "many"\n', "concurrency must be an integer from 1 to 1024"),
        ('[[sources]]\nname = "x"\nfeeds = ["ftp://example.org/rss"]\n', "is not an http(s) URL"),
        ('[[sources]]\nname = "x"\n', "nothing to discover articles from"),
        ('[[sources]]\nname = "x"\nhomepage = "https://x.example/"\nautodiscover = false\n', "nothing to discover"),
        ('[[sources]]\nname = "x"\nfeeds = ["https://x.example/rss"]\nautodiscover = true\n', "needs the source's"),
        ('[[sources]]\nname = "x"\nhomepage = "https://x.example/"\nautodiscover = 1\n', "must be true or false"),
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


def test_a_missing_relative_file_names_the_folder_it_was_looked_for_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A review: a deployment's run (prefect.yaml's own backfill example) looked in its worker's folder and said
    # "pass --sources", a flag deployments do not have.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as error:
        load_config("sources.toml")
    assert str(error.value) == (
        f"sources.toml: no such file (looked for in {tmp_path}); give the path of a sources TOML: `--sources` to "
        "copydesk, the `sources` parameter to a deployment's run"
    )


def test_a_memory_limit_must_be_a_size(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(
        '[[sources]]\nname = "a"\nfeeds = ["https://a.example/rss"]\n[settings]\ndb_memory_limit = "lots"\n'
    )
    with pytest.raises(ConfigError, match="db_memory_limit='lots' is not a size such as '2GB'"):
        load_config(path)


def test_fetch_settings_are_the_fetch_policy(tmp_path: Path) -> None:
    text = ISSUE_SHAPE + '\n[settings]\nmax_crawl_delay = 5\ncrawl_delay_over_cap = "skip"\nbackoff = 2\n'
    policy = load_config(write(tmp_path, text)).settings.fetch
    assert (policy.max_crawl_delay, policy.crawl_delay_over_cap, policy.backoff) == (5.0, "skip", 2.0)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("max_crawl_delay = -1", "max_crawl_delay must be a number from 0 to 86_400 (seconds), got -1"),
        ("max_crawl_delay = nan", "max_crawl_delay must be a number from 0 to 86_400 (seconds), got nan"),
        ('crawl_delay_over_cap = "wait"', "crawl_delay_over_cap='wait' is unknown; use 'cap'"),
    ],
)
def test_crawl_delay_settings_are_validated(tmp_path: Path, setting: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, ISSUE_SHAPE + f"\n[settings]\n{setting}\n"))


def settings_error(settings: dict[str, object]) -> str:
    """The message for a sources file with these [settings] (and a valid source)."""
    raw = {"sources": [{"name": "a", "feeds": ["https://a.example/rss"]}], "settings": settings}
    with pytest.raises(ConfigError) as error:
        parse_config(raw, origin="sources.toml")
    return str(error.value)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"retries": -1}, "retries must be an integer from 0 to 10, got -1"),
        ({"max_redirects": -1}, "max_redirects must be an integer from 0 to 50, got -1"),
        ({"max_articles_per_source": -5}, "max_articles_per_source must be an integer from 1 to 10_000_000, got -5"),
        ({"per_host_delay": float("inf")}, "per_host_delay must be a number from 0 to 3600 (seconds), got inf"),
        ({"per_host_delay": float("nan")}, "per_host_delay must be a number from 0 to 3600 (seconds), got nan"),
        ({"connect_timeout": float("nan")}, "connect_timeout must be a number greater than 0 and at most 3600"),
        ({"read_timeout": 0}, "read_timeout must be a number greater than 0 and at most 3600 (seconds), got 0"),
        ({"shingle_size": 0}, "shingle_size must be an integer from 1 to 32 (words), got 0; 5 is the default"),
        ({"num_perm": 100_000}, "num_perm must be an integer from 16 to 1024, got 100000"),
        ({"dedup_threshold": 1.0}, "dedup_threshold must be a number between 0 and 1, exclusive, got 1.0"),
        ({"batch_size": 0}, "batch_size must be an integer from 1 to 10_000 (URLs), got 0"),
        ({"concurrency": 4.0}, "concurrency must be an integer from 1 to 1024 (requests in flight), got 4.0"),
        ({"extract_timeout": -1}, "extract_timeout must be a number greater than 0 and at most 3600"),
        ({"allow_private": "yes"}, "allow_private must be true or false, got the string 'yes'"),
        ({"allow_hosts": "10.0.0.0/8"}, "allow_hosts must be a list of strings, got the string '10.0.0.0/8'"),
        ({"db": " "}, "db must be the path of a DuckDB file such as 'news.duckdb', got the string ' '"),
        ({"canonical_rule": "newest"}, "canonical_rule='newest' is unknown; use earliest, longest or source_priority"),
        ({"canonical_rule": "source_priority"}, "needs source_priority = [names, in order]"),
        ({"canonical_rule": "source_priority", "source_priority": ["b"]}, "source_priority names ['b'], which are not"),
    ],
)
def test_a_setting_out_of_range_or_of_the_wrong_type_says_what_is_valid(
    settings: dict[str, object], message: str
) -> None:
    error = settings_error(settings)
    assert error.startswith("sources.toml: [settings]: ")
    assert message in error


@pytest.mark.parametrize("key", ["user_agent", "contact_url"])
@pytest.mark.parametrize("value", ["bot\r\nX-Evil: 1", "bot\tname", "caf\u00e9 bot", "bot\x00"])
def test_a_header_setting_with_control_or_non_ascii_characters_is_refused(key: str, value: str) -> None:
    error = settings_error({key: value})
    assert f"{key} must be printable ASCII without control characters" in error
    assert "\n" not in error and "\r" not in error  # shown escaped: the message stays one line


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("a b", "its label 'a b' has the character ' '"),
        ("x" * 64 + ".example", "is 64 characters long, over 63"),
        ("a..example", "has an empty label"),
        ("10.0.0.0/33", "is not a valid network such as 10.0.0.0/8"),
        ("[::1]", "write IPv6 addresses without brackets"),
        ("*.example.org", "wildcards are not supported"),
        ("999.0.0.1", "'999.0.0.1' is not a valid IP address"),
    ],
)
def test_every_allow_hosts_entry_is_checked(entry: str, message: str) -> None:
    error = settings_error({"allow_hosts": [entry]})
    assert f"allow_hosts entry {entry!r}" in error and message in error


def test_host_names_ip_addresses_and_networks_are_allowed_hosts() -> None:
    entries = ["news.example", "localhost", "b\u00fccher.example", "127.0.0.2", "::1", "10.1.2.0/24", "fd00::/8"]
    raw = {"sources": [{"name": "a", "feeds": ["https://a.example/rss"]}], "settings": {"allow_hosts": entries}}
    assert parse_config(raw).settings.fetch.allow_hosts == tuple(entries)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://" + "a" * 64 + ".example/rss", "is 64 characters long, over 63"),
        ("https://a b.example/rss", "its label 'a b' has the character ' '"),
        ("https://" + "a" * 60 + ("." + "a" * 60) * 4 + "/", "characters long, over the 253 of a DNS name"),
        ("https://ex_ample.org/rss", "has the character '_'"),
        ("https://\u2603.example/rss", "is not a valid international (IDNA) host name"),
    ],
)
def test_every_source_url_host_is_checked(url: str, message: str) -> None:
    for key in ("feeds", "sitemaps"):
        with pytest.raises(ConfigError) as error:
            parse_config({"sources": [{"name": "a", key: [url]}]}, origin="sources.toml")
        assert str(error.value).startswith(f"sources.toml: source 'a': {key}: ")
        assert "has an invalid host" in str(error.value) and message in str(error.value)


def test_every_numeric_setting_has_a_range() -> None:
    numeric = {
        f.name
        for owner in (Settings, FetchPolicy)
        for f in dataclasses.fields(owner)
        if str(f.type).removesuffix(" | None") in ("int", "float")
    }
    assert numeric == set(RANGES)


def test_overrides_are_validated_like_the_file() -> None:
    with pytest.raises(ValueError, match="refetch_window_hours must be a number from 0 to 876_000 .* got nan"):
        Settings().with_overrides(refetch_window_hours=float("nan"))
    assert Settings().with_overrides(per_host_delay=1).fetch.per_host_delay == 1.0  # an integer is a number
