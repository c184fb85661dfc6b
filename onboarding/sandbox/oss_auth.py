"""Verification of OSS's V1 header signature made with STS credentials."""

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime

from onboarding.sandbox.errors import OssError
from onboarding.sandbox.store import CredentialStore, StsCredential

MAX_CLOCK_SKEW_SECONDS = 15 * 60


def string_to_sign(
    *, method: str, headers: Mapping[str, str], bucket: str, key: str
) -> str:
    oss_headers = sorted(
        (name.lower(), value.strip())
        for name, value in headers.items()
        if name.lower().startswith("x-oss-")
    )
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in oss_headers)
    return "\n".join(
        [
            method,
            headers.get("content-md5") or "",
            headers.get("content-type") or "",
            headers.get("date") or "",
            f"{canonical_headers}/{bucket}/{key}",
        ]
    )


def signature(secret: str, string: str) -> str:
    digest = hmac.new(secret.encode(), string.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class OssVerifier:
    """Check that an OSS request is signed with a live, issued STS credential."""

    def __init__(
        self, credentials: CredentialStore, clock: Callable[[], float] = time.time
    ):
        self.credentials = credentials
        self.clock = clock

    def verify(
        self, *, method: str, headers: Mapping[str, str], bucket: str, key: str
    ) -> StsCredential:
        authorization = headers.get("authorization") or ""
        scheme, _, rest = authorization.partition(" ")
        access_key_id, _, provided = rest.rpartition(":")
        if scheme != "OSS" or not access_key_id or not provided:
            raise OssError(
                403, "AccessDenied", "The request must carry an OSS V1 signature."
            )

        credential = self.credentials.get(access_key_id)
        if credential is None:
            raise OssError(
                403,
                "InvalidAccessKeyId",
                "The OSS Access Key Id you provided does not exist in our records.",
            )
        if not hmac.compare_digest(
            headers.get("x-oss-security-token") or "", credential.security_token
        ):
            raise OssError(
                403,
                "InvalidSecurityToken",
                "The security token you provided is invalid.",
            )

        expected = signature(
            credential.access_key_secret,
            string_to_sign(method=method, headers=headers, bucket=bucket, key=key),
        )
        if not hmac.compare_digest(expected, provided):
            raise OssError(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature "
                "you provided. Check your key and signing method.",
            )

        now = self.clock()
        if credential.expires_at <= now:
            raise OssError(
                403,
                "SecurityTokenExpired",
                "The security token you provided has expired.",
            )
        try:
            sent_at = parsedate_to_datetime(headers.get("date") or "").timestamp()
        except (TypeError, ValueError):
            raise OssError(
                403, "AccessDenied", "The Date header is missing or malformed."
            ) from None
        if abs(now - sent_at) > MAX_CLOCK_SKEW_SECONDS:
            raise OssError(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is "
                "too large.",
            )

        if not key.startswith(f"{credential.dir}/") or bucket != credential.bucket:
            raise OssError(
                403,
                "AccessDenied",
                "These credentials may only write under "
                f"{credential.bucket}/{credential.dir}/.",
            )
        return credential
