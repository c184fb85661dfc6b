"""Alibaba Cloud's V3 request signature, ACS3-HMAC-SHA256, for RPC calls."""

import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote

ALGORITHM = "ACS3-HMAC-SHA256"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def percent_encode(text: str) -> str:
    """Encode as Alibaba does: UTF-8, only A-Z a-z 0-9 - _ . ~ left as they are."""
    return quote(text, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The query string as signed, which is also the one sent."""
    encoded = sorted(
        (percent_encode(key), percent_encode(value)) for key, value in params.items()
    )
    return "&".join(f"{key}={value}" for key, value in encoded)


def canonical_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    payload_sha256: str,
) -> tuple[str, str]:
    """Return the canonical request and the signed header names it covers."""
    lowered = sorted((name.lower(), value.strip()) for name, value in headers.items())
    signed_names = ";".join(name for name, _ in lowered)
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in lowered)
    request = "\n".join(
        [method, path, query, canonical_headers, signed_names, payload_sha256]
    )
    return request, signed_names


def authorization(
    *,
    access_key_id: str,
    access_key_secret: str,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    payload_sha256: str,
) -> str:
    """The Authorization header for a request whose headers are all signed."""
    request, signed_names = canonical_request(
        method=method,
        path=path,
        query=query,
        headers=headers,
        payload_sha256=payload_sha256,
    )
    string_to_sign = f"{ALGORITHM}\n{hashlib.sha256(request.encode()).hexdigest()}"
    signature = hmac.new(
        access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256
    ).hexdigest()
    return (
        f"{ALGORITHM} Credential={access_key_id},SignedHeaders={signed_names},"
        f"Signature={signature}"
    )
