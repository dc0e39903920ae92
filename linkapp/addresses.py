"""Provider addresses compared as the provider writes them. Free of Django, so that settings.py can use it."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def as_providers_write(url: str) -> str:
    """A configured address as the provider writes its own, to be compared exactly (RFC 9207): GITHUB_URL
    may spell a capital or the default port (https://GHE.example.com:443), which GitHub's `iss` does not."""
    parts = urlsplit(url)
    scheme, netloc = parts.scheme.lower(), parts.netloc.lower()
    if parts.port is not None and parts.port == DEFAULT_PORTS.get(scheme):
        netloc = netloc.rpartition(":")[0]
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))
