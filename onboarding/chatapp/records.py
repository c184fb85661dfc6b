"""What each call reports for the pipeline to store, with secrets removed."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

REDACTED = "[redacted]"

_SECRET_WORDS = ("secret", "token", "sign", "password", "authorization")
# Keys whose values are secret wherever they appear in a request or answer.
_SECRET_KEY = re.compile(r"secret|token|signature|password|authorization", re.I)
# Alibaba echoes its string to sign, which names the key and every parameter.
_ECHOED_SIGNING = re.compile(r"(string ?to ?sign( is)?:?).*", re.I | re.S)
# A secret-looking field inside text that is not (or not quite) JSON, such as
# a truncated answer: "AccessKeySecret": "abc... or SecurityToken=abc...
_SECRET_FIELD_IN_TEXT = re.compile(
    r"""(["']?[\w-]*(?:secret|token|signature|password)[\w-]*["']?\s*[:=]\s*["']?)"""
    r"""[^"'&,}\s]*""",
    re.I,
)
# An Authorization header, on a line of its own or in a printed dict of
# headers: its whole value ("OSS <key id>:<signature>", "ACS3-HMAC-SHA256
# Credential=...,Signature=...") names the key and signs the request.
_AUTHORIZATION_IN_TEXT = re.compile(
    r"""(\bauthorization["']?\s*[:=]\s*["']?)[^"'\r\n]*""", re.I
)


def names_a_secret(key: Any) -> bool:
    """Whether a field of this name holds a secret wherever it appears."""
    return bool(_SECRET_KEY.search(str(key)))


def redact(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """Return a copy of JSON-like data with secret values replaced."""
    if isinstance(value, dict):
        return {
            key: REDACTED if names_a_secret(key) else redact(item, secrets)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item, secrets) for item in value]
    if isinstance(value, str):
        text = value
        # Most values name nothing secret; checking that first keeps the
        # regular expressions off the hot path of every call.
        lowered = text.lower()
        if any(word in lowered for word in _SECRET_WORDS):
            text = _ECHOED_SIGNING.sub(rf"\1 {REDACTED}", text)
            text = _AUTHORIZATION_IN_TEXT.sub(rf"\1{REDACTED}", text)
            text = _SECRET_FIELD_IN_TEXT.sub(rf"\1{REDACTED}", text)
        for secret in secrets:
            if secret and secret in text:
                text = text.replace(secret, REDACTED)
        return text
    return value


@dataclass
class CallRecord:
    """One call to ChatApp or OSS: what was asked, what came back, how long."""

    action: str
    started_at: datetime
    request: dict[str, Any]
    duration_ms: float | None = None
    http_status: int | None = None
    code: str = ""
    message: str = ""
    request_id: str = ""
    access_denied_detail: str = ""
    response: Any = None
    # "ok", or the ErrorKind of the failure.
    outcome: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
