"""The portal's client for ChatApp's RPC API and the agreement upload to OSS.

It knows nothing of Django: configure it with plain values. It never retries by
itself; the caller decides, so that a rate limiter sees every call.
"""

import io
import json
import logging
import math
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import oss2
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from onboarding.chatapp import live_secrets, signing
from onboarding.chatapp.errors import ChatAppError, ErrorKind, classify
from onboarding.chatapp.records import REDACTED, CallRecord, redact


class _OnlyWarnings(logging.Filter):
    """Let through warnings and errors only."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def _silence(prefix: str) -> None:
    # oss2 logs request headers, the STS token among them, at DEBUG, and
    # exception details at INFO; urllib3 logs every URL. The level keeps them
    # quiet; the filters, on each of their loggers since filters do not pass
    # to children, hold even if a logging configuration lowers the level.
    logging.getLogger(prefix).setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if name == prefix or name.startswith(f"{prefix}."):
            logging.getLogger(name).addFilter(_OnlyWarnings())


_silence("oss2")
_silence("urllib3")

API_VERSION = "2020-06-06"
AUTHORIZE = "GetChatappUploadAuthorization"
# The one place the submit action is named: it has vanished from Alibaba's
# newest SDK metadata, so a rename must be easy to follow.
SUBMIT = "SubmitIsvCustomerTerms"
UPLOAD = "OSS:PutObject"

# An "Expire" above this is an epoch time rather than a lifetime in seconds.
EPOCH_THRESHOLD = 10**9


@dataclass(frozen=True)
class ChatAppConfig:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    endpoint: str = "https://cams.ap-southeast-1.aliyuncs.com"
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    upload_timeout: float = 60.0
    user_agent: str = "isv-terms"


@dataclass(frozen=True)
class UploadAuthorization:
    """Temporary OSS credentials for one customer's upload folder."""

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str = field(repr=False)
    bucket: str = ""
    dir: str = ""
    endpoint: str = ""
    expires_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __str__(self) -> str:
        return repr(self)

    def object_key(self, file_name: str) -> str:
        return f"{self.dir}/{file_name}"

    def expires_within(self, seconds: float) -> bool:
        return self.expires_at <= datetime.now(UTC) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class CustomerTerms:
    """The seven parameters of SubmitIsvCustomerTerms."""

    cust_space_id: str
    cust_name: str
    office_address: str
    contact_mail: str
    country_id: str
    business_desc: str
    isv_terms: str

    def as_params(self) -> dict[str, str]:
        return {
            "CustSpaceId": self.cust_space_id,
            "CustName": self.cust_name,
            "OfficeAddress": self.office_address,
            "ContactMail": self.contact_mail,
            "CountryId": self.country_id,
            "BusinessDesc": self.business_desc,
            "IsvTerms": self.isv_terms,
        }


@dataclass(frozen=True)
class AuthorizationResult:
    authorization: UploadAuthorization
    call: CallRecord


@dataclass(frozen=True)
class UploadResult:
    key: str
    call: CallRecord


@dataclass(frozen=True)
class SubmitResult:
    call: CallRecord


def with_scheme(endpoint: str) -> str:
    # oss2 and requests would read a bare host as plain HTTP; Alibaba means TLS.
    # An explicit http:// is kept, as the local sandbox uses it.
    if "://" in endpoint:
        return endpoint.rstrip("/")
    return f"https://{endpoint.rstrip('/')}"


def expiry_time(expire: Any, now: datetime) -> datetime:
    """Read "Expire": an epoch time when above 10^9, else seconds from now."""
    seconds = float(expire)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"Expire {expire!r} is not a time")
    try:
        if seconds > EPOCH_THRESHOLD:
            return datetime.fromtimestamp(seconds, UTC)
        return now + timedelta(seconds=seconds)
    except (OverflowError, OSError):
        raise ValueError(f"Expire {expire!r} is out of range") from None


def _was_sent(error: requests.ConnectionError) -> bool:
    """Whether a failed request may have reached the server."""
    # A refused proxy or a failed TLS handshake happen before the request.
    if isinstance(
        error,
        requests.ConnectTimeout
        | requests.exceptions.SSLError
        | requests.exceptions.ProxyError,
    ):
        return False
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return not isinstance(reason, NewConnectionError | ConnectTimeoutError)


class ChatAppClient:
    """Calls ChatApp's two actions and uploads agreements to OSS."""

    def __init__(self, config: ChatAppConfig, session: requests.Session | None = None):
        self.config = config
        live_secrets.remember(config.access_key_secret)
        self.endpoint = with_scheme(config.endpoint)
        self.session = session or requests.Session()
        # The caller decides about retries, so that its rate limiter sees every
        # call: whatever session is given, no adapter may retry by itself.
        for prefix in ("https://", "http://"):
            self.session.mount(prefix, requests.adapters.HTTPAdapter(max_retries=0))
        # requests reads proxy and CA settings from the environment on every
        # call, which costs more CPU than the call itself; read them once.
        self.session.proxies.update(requests.utils.get_environ_proxies(self.endpoint))
        self.session.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE")
            or os.environ.get("CURL_CA_BUNDLE")
            or self.session.verify
        )
        self.session.trust_env = False
        # One session for every OSS upload too, so connections are reused.
        self.oss_session = oss2.Session()

    # ChatApp actions

    def get_upload_authorization(self, cust_space_id: str) -> AuthorizationResult:
        body, call = self._call(AUTHORIZE, {"CustSpaceId": cust_space_id}, write=False)
        data = body.get("Data")
        if isinstance(data, dict):
            # Known before anything can fail, so no log line or error shows them.
            live_secrets.remember(
                data.get("AccessKeySecret"), data.get("SecurityToken")
            )
        try:
            data = body["Data"]
            authorization = UploadAuthorization(
                access_key_id=str(data["AccessKeyId"]),
                access_key_secret=str(data["AccessKeySecret"]),
                security_token=str(data["SecurityToken"]),
                bucket=str(data["BucketName"]),
                dir=str(data["Dir"]).rstrip("/"),
                endpoint=with_scheme(str(data["EndPoint"])),
                expires_at=expiry_time(data["Expire"], call.started_at),
            )
        except (KeyError, TypeError, ValueError) as error:
            # Alibaba said OK but the answer is not what it documents; asking
            # again would most likely get the same answer.
            problem = (
                f"lacks {error}" if isinstance(error, KeyError) else f"has {error}"
            )
            call.outcome = ErrorKind.UNEXPECTED
            raise ChatAppError(
                f"The upload authorization {problem}.",
                kind=ErrorKind.UNEXPECTED,
                code="InvalidResponse",
                request_id=call.request_id,
                http_status=call.http_status,
                call=call,
            ) from None
        # The temporary key's id names the credentials too: keep it out of the
        # record along with their secret and token.
        recorded_data = (
            call.response.get("Data") if isinstance(call.response, dict) else None
        )
        if isinstance(recorded_data, dict) and "AccessKeyId" in recorded_data:
            recorded_data["AccessKeyId"] = REDACTED
        return AuthorizationResult(authorization=authorization, call=call)

    def submit_customer_terms(self, terms: CustomerTerms) -> SubmitResult:
        _, call = self._call(SUBMIT, terms.as_params(), write=True)
        return SubmitResult(call=call)

    def _call(
        self, action: str, params: Mapping[str, str], *, write: bool
    ) -> tuple[dict, CallRecord]:
        query = signing.canonical_query(params)
        host = urlsplit(self.endpoint).netloc
        headers = {
            "host": host,
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "x-acs-content-sha256": signing.EMPTY_BODY_SHA256,
        }
        headers["Authorization"] = signing.authorization(
            access_key_id=self.config.access_key_id,
            access_key_secret=self.config.access_key_secret,
            method="POST",
            path="/",
            query=query,
            headers=headers,
            payload_sha256=signing.EMPTY_BODY_SHA256,
        )
        call = CallRecord(
            action=action,
            started_at=datetime.now(UTC),
            request={"endpoint": self.endpoint, "version": API_VERSION, **params},
        )

        # A request prepared by hand and sent on the session skips the work
        # Session.request repeats on every call (merging settings, cookies,
        # hooks) while still reusing the session's pooled connections.
        request = requests.PreparedRequest()
        request.method = "POST"
        request.url = f"{self.endpoint}/?{query}"
        request.headers = requests.structures.CaseInsensitiveDict(
            {
                **headers,
                "Accept": "application/json",
                "User-Agent": self.config.user_agent,
                "Content-Length": "0",
            }
        )
        request.body = None

        started = time.perf_counter()
        try:
            response = self.session.send(
                request,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                allow_redirects=False,
                proxies=self.session.proxies,
                verify=self.session.verify,
            )
        except requests.RequestException as error:
            call.duration_ms = (time.perf_counter() - started) * 1000
            raise self._transport_error(error, call, write=write) from None
        call.duration_ms = (time.perf_counter() - started) * 1000
        call.http_status = response.status_code

        body = self._parse(response, call, write=write)
        call.code = str(body.get("Code") or "")
        call.message = self._redacted(str(body.get("Message") or ""))
        call.request_id = str(body.get("RequestId") or "")
        call.access_denied_detail = str(body.get("AccessDeniedDetail") or "")
        call.response = self._redacted(body)
        if response.status_code == 200 and call.code == "OK":
            call.outcome = "ok"
            return body, call

        kind = classify(call.code, response.status_code)
        call.outcome = kind
        raise ChatAppError(
            call.message or f"{action} failed with HTTP {response.status_code}.",
            kind=kind,
            code=call.code,
            request_id=call.request_id,
            http_status=response.status_code,
            access_denied_detail=call.access_denied_detail,
            call=call,
        )

    def _parse(self, response: requests.Response, call: CallRecord, *, write: bool):
        try:
            body = json.loads(response.content)
        except ValueError:
            body = None
        if isinstance(body, dict):
            return body

        # Without a readable answer, a 5xx is still worth retrying, a 200 to a
        # write may have been applied, and anything else needs a person.
        status = response.status_code
        if status >= 500 or status == 429:
            kind = ErrorKind.RETRYABLE
        elif status == 200:
            kind = ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.RETRYABLE
        else:
            kind = ErrorKind.UNEXPECTED
        call.code = "InvalidResponse"
        call.outcome = kind
        call.response = {
            "content_type": response.headers.get("Content-Type", ""),
            "length": len(response.content),
            "excerpt": self._redacted(response.text[:500]),
        }
        described = (
            "an empty body" if not response.content else "a body that is not JSON"
        )
        raise ChatAppError(
            f"{call.action} answered HTTP {status} with {described}.",
            kind=kind,
            code="InvalidResponse",
            http_status=status,
            call=call,
        )

    def _transport_error(
        self, error: requests.RequestException, call: CallRecord, *, write: bool
    ) -> ChatAppError:
        # The message is written here rather than taken from the exception,
        # whose text quotes the whole URL.
        if isinstance(error, requests.ConnectionError) and not _was_sent(error):
            kind, code = ErrorKind.RETRYABLE, "ConnectionFailed"
            message = f"Could not connect to {self.endpoint}."
        elif isinstance(error, requests.ReadTimeout):
            kind = ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.RETRYABLE
            code = "ReadTimeout"
            message = (
                f"No answer from {self.endpoint} within "
                f"{self.config.read_timeout:g} seconds."
            )
        elif isinstance(error, requests.ConnectionError):
            kind = ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.RETRYABLE
            code = "ConnectionLost"
            message = f"The connection to {self.endpoint} closed without an answer."
        elif isinstance(
            error,
            requests.exceptions.ChunkedEncodingError
            | requests.exceptions.ContentDecodingError,
        ):
            kind = ErrorKind.UNKNOWN_OUTCOME if write else ErrorKind.RETRYABLE
            code = "TruncatedResponse"
            message = f"The answer from {self.endpoint} was cut short."
        else:
            kind, code = ErrorKind.UNEXPECTED, "RequestFailed"
            message = f"The request could not be made: {type(error).__name__}."
        call.code, call.message, call.outcome = code, message, kind
        return ChatAppError(message, kind=kind, code=code, call=call)

    def _redacted(self, value: Any) -> Any:
        return redact(value, secrets=(self.config.access_key_secret,))

    # OSS

    def upload_agreement(
        self,
        authorization: UploadAuthorization,
        *,
        file: BinaryIO,
        file_name: str,
    ) -> UploadResult:
        """Stream the agreement to `Dir/file_name` with the temporary credentials.

        The whole file is sent whatever its position: oss2 uploads from where
        the handle stands, so a handle left mid-way by an earlier attempt
        would otherwise store a truncated agreement.
        """
        key = authorization.object_key(file_name)
        call = CallRecord(
            action=UPLOAD,
            started_at=datetime.now(UTC),
            request={
                "endpoint": authorization.endpoint,
                "bucket": authorization.bucket,
                "key": key,
            },
        )
        started = time.perf_counter()
        try:
            file.seek(0, io.SEEK_END)
            call.request["size"] = file.tell()
            file.seek(0)
            bucket = oss2.Bucket(
                oss2.StsAuth(
                    authorization.access_key_id,
                    authorization.access_key_secret,
                    authorization.security_token,
                ),
                authorization.endpoint,
                authorization.bucket,
                session=self.oss_session,
                # requests takes a (connect, read) pair through oss2.
                connect_timeout=(
                    self.config.connect_timeout,
                    self.config.upload_timeout,
                ),
                app_name=self.config.user_agent,
                enable_crc=True,
            )
            result = bucket.put_object(
                key, file, headers={"Content-Type": "application/pdf"}
            )
        except oss2.exceptions.OssError as error:
            call.duration_ms = (time.perf_counter() - started) * 1000
            # The secrets are gathered here rather than held in a local, which
            # a debugger's or error reporter's view of the frame would show.
            raise self._upload_error(
                error,
                call,
                (
                    self.config.access_key_secret,
                    authorization.access_key_secret,
                    authorization.security_token,
                ),
            ) from None
        except (OSError, ValueError) as error:
            call.duration_ms = (time.perf_counter() - started) * 1000
            call.code, call.outcome = "UploadFailed", ErrorKind.UNEXPECTED
            call.message = (
                f"The agreement could not be read or sent: {type(error).__name__}."
            )
            raise ChatAppError(
                call.message, kind=ErrorKind.UNEXPECTED, code=call.code, call=call
            ) from None
        call.duration_ms = (time.perf_counter() - started) * 1000

        call.http_status = result.status
        call.request_id = result.request_id or ""
        call.code = "OK"
        call.outcome = "ok"
        call.response = {"etag": result.etag, "crc64": str(result.crc)}
        return UploadResult(key=key, call=call)

    @staticmethod
    def _upload_error(
        error: oss2.exceptions.OssError, call: CallRecord, secrets: tuple[str, ...]
    ) -> ChatAppError:
        refresh = False
        if isinstance(error, oss2.exceptions.RequestError):
            # oss2 wraps a failure to talk to OSS at all; a PUT can be repeated.
            kind, code = ErrorKind.RETRYABLE, "ConnectionFailed"
            message = "The agreement could not be sent to OSS."
            status = None
        elif isinstance(error, oss2.exceptions.InconsistentError):
            kind, code = ErrorKind.RETRYABLE, "InconsistentCrc"
            message = "OSS stored different bytes from those sent (CRC-64 mismatch)."
            status = None
        else:
            # oss2 reports its own client-side errors with a negative status.
            status = error.status if error.status > 0 else None
            code = str(error.code or "")
            message = redact(str(error.message or ""), secrets)
            if code in ("SecurityTokenExpired", "InvalidAccessKeyId") or (
                code in ("InvalidSecurityToken", "SignatureDoesNotMatch")
            ):
                # The temporary credentials are stale; new ones may succeed.
                kind, refresh = ErrorKind.RETRYABLE, True
            else:
                kind = classify(code, status)
        call.http_status = status
        call.code = code
        call.message = message
        call.request_id = str(getattr(error, "request_id", "") or "")
        call.outcome = kind
        call.response = {"status": status, "code": code, "message": message}
        return ChatAppError(
            message,
            kind=kind,
            code=code,
            request_id=call.request_id,
            http_status=status,
            refresh_authorization=refresh,
            call=call,
        )
