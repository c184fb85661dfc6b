"""Failures caused on purpose, chosen by the prefix of the customer space ID.

    fail-<kind>-...        every SubmitIsvCustomerTerms call fails this way
    flaky-<kind>-...       only the first call fails, later ones succeed
    flaky<N>-<kind>-...    the first N calls fail
    fail-auth-<kind>-...   the same, for GetChatappUploadAuthorization

For example `flaky2-503-293483938849493` answers 503 twice, then accepts.
"""

import re
import threading
from collections import Counter
from dataclasses import dataclass

from onboarding.sandbox.errors import RpcError

AUTHORIZE = "GetChatappUploadAuthorization"
SUBMIT = "SubmitIsvCustomerTerms"

_PREFIX = re.compile(
    r"\A(?P<mode>fail|flaky(?P<times>\d*))-(?P<auth>auth-)?(?P<kind>[a-z0-9]+)-"
)

RAM_DENIAL_DETAIL = (
    '{"AuthAction":"cams:%s","AuthPrincipalType":"SubUser",'
    '"NoPermissionType":"ImplicitDeny","PolicyType":"AccountLevelIdentityBasedPolicy"}'
)

# Business errors as ChatApp answers them, by kind: HTTP status, code, message.
ERRORS = {
    "ram": (400, "Ram.PermissionDeny", "You are not authorized to do this."),
    "unsub": (400, "Product.Unsubscript", "You have not subscribed to ChatApp."),
    "owner": (
        400,
        "Unknown.ResourceOwnerId",
        "The resource does not belong to the current user.",
    ),
    "limit": (400, "System.LimitControl", "The system is under flow control."),
    "throttle": (400, "Throttling.User", "Request was denied by user flow control."),
    "500": (500, "InternalError", "The request failed with an unknown error."),
    "503": (503, "ServiceUnavailable", "The service is temporarily unavailable."),
    "http200": (
        200,
        "Unknown.ResourceOwnerId",
        "The resource does not belong to the current user.",
    ),
}

# Kinds that are not an error answer but a way of behaving.
BEHAVIOURS = {"slow", "drop", "expiredtoken"}
KINDS = sorted(set(ERRORS) | BEHAVIOURS)


@dataclass(frozen=True)
class Scenario:
    kind: str
    action: str

    def error(self) -> RpcError | None:
        if self.kind not in ERRORS:
            return None
        status, code, message = ERRORS[self.kind]
        detail = RAM_DENIAL_DETAIL % self.action if self.kind == "ram" else ""
        return RpcError(status, code, message, access_denied_detail=detail)


class ScenarioBook:
    """Decide, call by call, whether a failure is due."""

    def __init__(self):
        self._lock = threading.Lock()
        self._calls: Counter[tuple[str, str]] = Counter()

    def for_call(self, action: str, cust_space_id: str) -> Scenario | None:
        match = _PREFIX.match(cust_space_id)
        if match is None or match["kind"] not in KINDS:
            return None
        # An expired token can only come from an authorization.
        target = (
            AUTHORIZE if match["auth"] or match["kind"] == "expiredtoken" else SUBMIT
        )
        if action != target:
            return None

        with self._lock:
            self._calls[(action, cust_space_id)] += 1
            seen = self._calls[(action, cust_space_id)]
        if match["mode"] != "fail":
            times = int(match["times"] or 1)
            if seen > times:
                return None
        return Scenario(kind=match["kind"], action=action)
