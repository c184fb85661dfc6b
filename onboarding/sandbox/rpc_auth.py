"""Verification of signed RPC requests, as Alibaba Cloud's gateway does it.

Two algorithms are accepted: V3 (ACS3-HMAC-SHA256 in the Authorization header)
and the older V1 (HMAC-SHA1 over the query, SignatureVersion=1.0).
"""

import base64
import hashlib
import hmac
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from onboarding.sandbox.encoding import canonical_query, parse_query, percent_encode
from onboarding.sandbox.errors import RpcError

V3_ALGORITHM = "ACS3-HMAC-SHA256"
MAX_CLOCK_SKEW_SECONDS = 15 * 60

# Parameters of the V1 protocol itself rather than of the API action.
V1_COMMON_PARAMETERS = {
    "AccessKeyId",
    "Action",
    "Format",
    "RegionId",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "Timestamp",
    "Version",
}

_AUTHORIZATION = re.compile(
    r"\A(?P<algorithm>\S+) Credential=(?P<credential>[^,]*),"
    r"SignedHeaders=(?P<signed_headers>[^,]*),Signature=(?P<signature>[0-9a-fA-F]*)\Z"
)


@dataclass(frozen=True)
class IncomingRequest:
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name) or ""

    def form_pairs(self) -> list[tuple[str, str]]:
        content_type = self.header("content-type").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded" or not self.body:
            return []
        return parse_query(self.body.decode("utf-8", "replace"))


@dataclass(frozen=True)
class VerifiedCall:
    action: str
    version: str
    params: dict[str, str]
    signature_method: str
    access_key_id: str
    nonce: str = ""


def _signature_mismatch(string_to_sign: str) -> RpcError:
    # Alibaba echoes what it signed so callers can compare; the portal's client
    # must keep this message out of its records.
    return RpcError(
        400,
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. "
        f"server string to sign is:{string_to_sign}",
    )


def _parse_timestamp(value: str) -> float:
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        raise RpcError(
            400,
            "InvalidTimeStamp.Format",
            f"Specified time stamp or date value is not well formatted: {value!r}.",
        ) from None
    return parsed.replace(tzinfo=UTC).timestamp()


class RpcVerifier:
    """Check key, signature, timestamp and nonce of each RPC request."""

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        clock: Callable[[], float] = time.time,
    ):
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.clock = clock
        self._nonces: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def verify(self, request: IncomingRequest) -> VerifiedCall:
        if request.header("authorization").startswith(V3_ALGORITHM):
            return self._verify_v3(request)
        params = parse_query(request.query) + request.form_pairs()
        if any(key == "Signature" for key, _ in params):
            return self._verify_v1(request)
        raise RpcError(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards: it has "
            "neither an ACS3-HMAC-SHA256 Authorization header nor a Signature.",
        )

    def _verify_v3(self, request: IncomingRequest) -> VerifiedCall:
        match = _AUTHORIZATION.match(request.header("authorization"))
        if match is None or match["algorithm"] != V3_ALGORITHM:
            raise RpcError(
                400,
                "IncompleteSignature",
                "The Authorization header must read ACS3-HMAC-SHA256 "
                "Credential=...,SignedHeaders=...,Signature=...",
            )
        self._check_access_key(match["credential"])

        signed = sorted(
            name.strip().lower() for name in match["signed_headers"].split(";")
        )
        required = {"host", "x-acs-action", "x-acs-version", "x-acs-date"}
        required |= {"x-acs-signature-nonce", "x-acs-content-sha256"}
        missing = sorted(
            name for name in required if name not in signed or not request.header(name)
        )
        if missing:
            raise RpcError(
                400,
                "IncompleteSignature",
                "These headers must be present and signed: " + ", ".join(missing),
            )

        if hashlib.sha256(request.body).hexdigest() != request.header(
            "x-acs-content-sha256"
        ):
            raise RpcError(
                400,
                "SignatureDoesNotMatch",
                "The x-acs-content-sha256 header does not match the request body.",
            )

        canonical_headers = "".join(
            f"{name}:{request.header(name).strip()}\n" for name in signed
        )
        canonical_request = "\n".join(
            [
                request.method,
                request.path or "/",
                canonical_query(parse_query(request.query)),
                canonical_headers,
                ";".join(signed),
                request.header("x-acs-content-sha256"),
            ]
        )
        digest = hashlib.sha256(canonical_request.encode()).hexdigest()
        string_to_sign = f"{V3_ALGORITHM}\n{digest}"
        expected = hmac.new(
            self.access_key_secret.encode(), string_to_sign.encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, match["signature"].lower()):
            raise _signature_mismatch(canonical_request)

        self._check_fresh(
            request.header("x-acs-date"), request.header("x-acs-signature-nonce")
        )
        params = dict(parse_query(request.query))
        params.update(request.form_pairs())
        return VerifiedCall(
            action=request.header("x-acs-action"),
            version=request.header("x-acs-version"),
            params=params,
            signature_method=V3_ALGORITHM,
            access_key_id=match["credential"],
            nonce=request.header("x-acs-signature-nonce"),
        )

    def _verify_v1(self, request: IncomingRequest) -> VerifiedCall:
        pairs = parse_query(request.query) + request.form_pairs()
        params = dict(pairs)
        for name in ("AccessKeyId", "SignatureNonce", "Timestamp", "Signature"):
            if not params.get(name):
                raise RpcError(400, f"Missing{name}", f"{name} is mandatory.")
        if params.get("SignatureMethod") != "HMAC-SHA1" or (
            params.get("SignatureVersion") != "1.0"
        ):
            raise RpcError(
                400,
                "IncompleteSignature",
                "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.",
            )
        self._check_access_key(params["AccessKeyId"])

        signed_pairs = [(key, value) for key, value in pairs if key != "Signature"]
        string_to_sign = "&".join(
            [
                request.method,
                percent_encode("/"),
                percent_encode(canonical_query(signed_pairs)),
            ]
        )
        expected = base64.b64encode(
            hmac.new(
                f"{self.access_key_secret}&".encode(),
                string_to_sign.encode(),
                hashlib.sha1,
            ).digest()
        ).decode()
        if not hmac.compare_digest(expected, params["Signature"]):
            raise _signature_mismatch(string_to_sign)

        self._check_fresh(params["Timestamp"], params["SignatureNonce"])
        return VerifiedCall(
            action=params.get("Action", ""),
            version=params.get("Version", ""),
            params={
                key: value
                for key, value in params.items()
                if key not in V1_COMMON_PARAMETERS
            },
            signature_method="HMAC-SHA1",
            access_key_id=params["AccessKeyId"],
            nonce=params["SignatureNonce"],
        )

    def _check_access_key(self, access_key_id: str) -> None:
        if access_key_id != self.access_key_id:
            raise RpcError(
                404,
                "InvalidAccessKeyId.NotFound",
                "Specified access key is not found.",
            )

    def _check_fresh(self, timestamp: str, nonce: str) -> None:
        now = self.clock()
        if abs(now - _parse_timestamp(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            raise RpcError(
                400,
                "InvalidTimeStamp.Expired",
                f"Specified time stamp or date value is expired: {timestamp}.",
            )

        with self._lock:
            # A nonce only needs remembering while its timestamp is acceptable.
            horizon = now - 2 * MAX_CLOCK_SKEW_SECONDS
            while self._nonces and next(iter(self._nonces.values())) < horizon:
                self._nonces.popitem(last=False)
            if nonce in self._nonces:
                raise RpcError(
                    400,
                    "SignatureNonceUsed",
                    "Specified signature nonce was used already.",
                )
            self._nonces[nonce] = now
