"""Alibaba's percent-encoding for RPC requests: RFC 3986 over UTF-8."""

from urllib.parse import parse_qsl, quote


def percent_encode(value: str) -> str:
    # quote() keeps letters, digits and "_.-~" when "~" is marked safe, which is
    # exactly the unreserved set Alibaba leaves alone; a space becomes %20.
    return quote(value, safe="~")


def parse_query(raw: str) -> list[tuple[str, str]]:
    """Decode a query string or form body into pairs, keeping blank values."""
    return parse_qsl(raw, keep_blank_values=True, strict_parsing=False)


def canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted(
        (percent_encode(key), percent_encode(value)) for key, value in pairs
    )
    return "&".join(f"{key}={value}" for key, value in encoded)
