"""URL identity: one spelling per article, so the same page reached two ways is fetched and stored once.

courlan does the normalisation (case, default port, tracking parameters); it knows nothing of AMP
and mobile editions, so those few rules are written out here.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin, urlsplit, urlunsplit

import courlan

MOBILE_LABELS = {"m", "mobile", "amp"}  # m.example.com is the mobile edition of example.com
# Query parameters that only switch a page to its AMP edition (usqp is added by Google's AMP cache).
AMP_PARAMS = {"amp", "_amp", "amp_js_v", "amp_gsa", "usqp"}
AMP_VALUED_PARAMS = {"output", "outputtype", "format"}  # ?outputType=amp
AMP_SUFFIX = re.compile(r"\.amp(?=\.html?$|$)")  # /story.amp.html, /story.amp
# AMP caches serve https://example.com/a as https://example-com.cdn.ampproject.org/c/s/example.com/a
# and Google's viewer as https://www.google.com/amp/s/example.com/a ("s/" means https).
AMP_CACHE_PATH = re.compile(r"^/(?:amp|[cvi])/(?P<https>s/)?(?P<rest>[^/]+\.[^/]+(?:/.*)?)$")


def absolute(base: str, link: str) -> str:
    """`link` resolved against `base`; as it is when it cannot be (`http://[`): the crawl counts it as a bad link."""
    try:
        return urljoin(base, link)
    except ValueError:
        return link


def canonicalize(url: str) -> str:
    """Normalised URL: lower-case host, default port and tracking parameters (utm_*, fbclid…) and fragment removed."""
    url = urldefrag(url.strip())[0]
    try:
        return courlan.normalize_url(url)
    except ValueError:
        return url


def desktop_url(url: str) -> str:
    """The canonicalized URL of the regular edition: AMP markers and AMP caches undone, m./mobile. host dropped."""
    parts = urlsplit(canonicalize(_from_amp_cache(url)))
    labels = (parts.hostname or "").split(".")
    if labels[0] in MOBILE_LABELS and len(labels) > 2:
        labels = labels[1:]
    host = ".".join(labels)
    netloc = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")  # IPv6 keeps its brackets
    path = AMP_SUFFIX.sub("", "/".join(s for s in parts.path.split("/") if s.lower() != "amp")) or "/"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_amp_param(k, v)])
    return urlunsplit((parts.scheme, netloc, path, query, ""))


def identity_variants(url: str) -> tuple[str, ...]:
    """Every spelling under which this article may be stored: its desktop URL with and without www., then itself."""
    desktop = urlsplit(desktop_url(url))
    bare = _without_www(desktop.netloc)
    hosts = (bare,) if _is_ip_or_local(desktop.hostname or "") else (bare, f"www.{bare}")
    spellings = [urlunsplit(desktop._replace(netloc=host)) for host in hosts]
    return tuple(dict.fromkeys([*spellings, canonicalize(url)]))


def article_url(url: str, declared: str | None = None) -> str:
    """The URL an article is stored under: the page's rel=canonical / og:url when believable, else its own URL.

    A declared URL on another site is ignored (a syndicated copy stays its outlet's article and is caught
    as a duplicate by its text), and so is one pointing at a home page, a common CMS misconfiguration.
    """
    if declared and _site(declared) == _site(url) and urlsplit(declared).path.strip("/"):
        return desktop_url(declared)
    return desktop_url(url)


def _site(url: str) -> str:
    return _without_www(urlsplit(desktop_url(url)).netloc)


def _without_www(netloc: str) -> str:
    return netloc[4:] if netloc.startswith("www.") else netloc


def _is_ip_or_local(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." not in host
    return True


def _from_amp_cache(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not (host.endswith(".cdn.ampproject.org") or host in ("google.com", "www.google.com")):
        return url
    m = AMP_CACHE_PATH.match(parts.path)
    if not m:
        return url
    scheme = "https" if m.group("https") else "http"
    return f"{scheme}://{m.group('rest')}" + (f"?{parts.query}" if parts.query else "")


def _is_amp_param(key: str, value: str) -> bool:
    key = key.lower()
    return key in AMP_PARAMS or (key in AMP_VALUED_PARAMS and value.lower() == "amp")
