"""Which proxy a request goes through: the `proxy` setting, else the standard environment variables.

As curl, requests and httpx read them: `http_proxy` for http URLs, `https_proxy` for https URLs, `all_proxy`
for both when those are unset (lower case wins over upper case; `HTTP_PROXY` is ignored under CGI, where a
client can set it), and `no_proxy`: host names (a name also covers its subdomains; a leading dot or "*."
is allowed), IP addresses, networks (CIDR), each optionally with a port, or "*" for every host. A `proxy`
setting (global or per source) wins over the environment variables; "" means no proxy. `no_proxy` applies
to both. A proxy's host is never judged by the address guard: the guard judges the target.

Pure: the caller passes the environment (`ProxyEnvironment.from_environ(os.environ)`); nothing here reads it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

from crawl.policy import proxy_problem


@dataclass(frozen=True, slots=True)
class ProxyEnvironment:
    """The proxies the environment names, per URL scheme, and the hosts that bypass them."""

    http: str | None = None
    https: str | None = None
    no_proxy: tuple[str, ...] = ()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ProxyEnvironment:
        """The proxy variables of `environ` (os.environ), each checked; ValueError names a bad one."""
        proxies: dict[str, str | None] = {}
        for scheme in ("http", "https", "all"):
            found = _variable(environ, f"{scheme}_proxy")
            url = None
            if found is not None:
                key, url = found[0], found[1] if "://" in found[1] else f"http://{found[1]}"  # as requests does
                problem = proxy_problem(key, url)
                if problem:
                    raise ValueError(f"environment variable {problem}")
            proxies[scheme] = url
        bypass = _variable(environ, "no_proxy")
        no_proxy = tuple(e for e in (bypass[1] if bypass else "").replace(" ", ",").lower().split(",") if e)
        return cls(proxies["http"] or proxies["all"], proxies["https"] or proxies["all"], no_proxy)

    def bypasses(self, host: str, port: int) -> bool:
        """Whether `no_proxy` sends requests to `host` (httpx's ASCII form, no brackets) direct."""
        return any(_matches(entry, host.lower().rstrip("."), port) for entry in self.no_proxy)


# No proxy variables set: every request goes direct unless a `proxy` setting says otherwise.
NO_PROXY_ENVIRONMENT = ProxyEnvironment()


def proxy_for(
    scheme: str, host: str, port: int, *, configured: str | None, environment: ProxyEnvironment
) -> str | None:
    """The proxy URL for a request to scheme://host:port, or None to connect directly.

    `configured` is the `proxy` setting in force (the source's or the run's): None leaves it to the
    environment variables, "" means none.
    """
    if configured == "":
        return None
    if environment.bypasses(host, port):
        return None
    if configured is not None:
        return configured
    return environment.https if scheme == "https" else environment.http


def _variable(environ: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(the variable's name as set, its value) for `name` in lower case, else in upper case; None if unset."""
    for key in (name, name.upper()):
        if key == "HTTP_PROXY" and "REQUEST_METHOD" in environ:
            continue  # httpoxy: under CGI a request's Proxy header arrives as HTTP_PROXY
        value = environ.get(key, "").strip()
        if value:
            return key, value
    return None


def _matches(entry: str, host: str, port: int) -> bool:
    if entry == "*":
        return True
    name, entry_port = _split_port(entry)
    if entry_port is not None and entry_port != port:
        return False
    name = name.strip("[]")
    if "/" in name:
        try:
            return ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False)
        except (ValueError, TypeError):
            return False  # not an address, or another IP version: no match
    name = name.removeprefix("*").removeprefix(".").rstrip(".")
    return bool(name) and (host == name or host.endswith(f".{name}"))


def _split_port(entry: str) -> tuple[str, int | None]:
    """("host", 8080) from "host:8080" or "[::1]:8080"; a bare IPv6 address keeps its colons."""
    if entry.startswith("[") and "]:" in entry:
        name, _, port = entry.rpartition(":")
    elif entry.count(":") == 1:
        name, _, port = entry.partition(":")
    else:
        return entry, None
    return (name, int(port)) if port.isdigit() else (entry, None)
