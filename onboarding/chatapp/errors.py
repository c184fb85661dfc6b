"""One exception family for everything that can go wrong talking to Alibaba.

Each error says what the pipeline should do about it through its `kind`.
"""

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from onboarding.chatapp.records import CallRecord


class ErrorKind(StrEnum):
    # Worth trying again later: throttling, server trouble, a lost connection
    # before the request was sent, an expired upload token.
    RETRYABLE = "retryable"
    # Permanent until the submitter corrects the submission's data.
    SUBMITTER = "submitter"
    # Permanent until the account's owners fix keys, permissions or the
    # subscription; every submission would fail the same way.
    ACCOUNT = "account"
    # A write was sent but no answer came: it may or may not have been applied.
    UNKNOWN_OUTCOME = "unknown_outcome"
    # Permanent and not classified: support has to look.
    UNEXPECTED = "unexpected"


class ChatAppError(Exception):
    """A failed call to ChatApp or OSS, carrying Alibaba's answer."""

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind,
        code: str = "",
        request_id: str = "",
        http_status: int | None = None,
        access_denied_detail: str = "",
        refresh_authorization: bool = False,
        call: "CallRecord | None" = None,
    ):
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.access_denied_detail = access_denied_detail
        # The upload credentials are no good any more: get new ones first.
        self.refresh_authorization = refresh_authorization
        self.call = call

    @property
    def retryable(self) -> bool:
        return self.kind in (ErrorKind.RETRYABLE, ErrorKind.UNKNOWN_OUTCOME)

    def __str__(self) -> str:
        status = f"HTTP {self.http_status}" if self.http_status else "no HTTP answer"
        code = self.code or "no code"
        return f"{code} ({status}, {self.kind}): {self.message}"


# The seven parameters of SubmitIsvCustomerTerms: a code naming one of them is
# about the submission's data.
PARAMETERS = (
    "CustSpaceId",
    "CustName",
    "OfficeAddress",
    "ContactMail",
    "CountryId",
    "BusinessDesc",
    "IsvTerms",
)

# Codes Alibaba documents, by what fixes them. A trailing "*" is a prefix.
_RETRYABLE = (
    "Throttling",
    "Throttling.*",
    "System.LimitControl",
    "ServiceUnavailable",
    "InternalError",
    "InternalError.*",
    # Fixed by signing again with a fresh timestamp and nonce.
    "InvalidTimeStamp.Expired",
    "SignatureNonceUsed",
)
_ACCOUNT = (
    "Ram.PermissionDeny",
    "Forbidden.RAM",
    "Forbidden.*",
    "Product.Unsubscript",
    "InvalidAccessKeyId",
    "InvalidAccessKeyId.*",
    "InvalidSecurityToken*",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
)
_SUBMITTER = (
    "Unknown.ResourceOwnerId",
    "InvalidParameter",
    "InvalidParameter.*",
    *(f"Missing{name}" for name in PARAMETERS),
    *(f"Invalid{name}*" for name in PARAMETERS),
)


def _matches(code: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*"):
            if code.startswith(pattern[:-1]):
                return True
        elif code == pattern:
            return True
    return False


def classify(code: str, http_status: int | None) -> ErrorKind:
    """What kind of failure an answer with this code and status is."""
    status = http_status or 0
    if _matches(code, _RETRYABLE) or status >= 500 or status == 429:
        return ErrorKind.RETRYABLE
    if _matches(code, _ACCOUNT):
        return ErrorKind.ACCOUNT
    if _matches(code, _SUBMITTER):
        return ErrorKind.SUBMITTER
    # Anything else (an unknown action or version, a malformed timestamp) is
    # the portal's own mistake or Alibaba's change: a person must look.
    return ErrorKind.UNEXPECTED
