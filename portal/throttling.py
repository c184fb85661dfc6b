"""How sign-in throttling tells clients apart, and what a locked-out one sees."""

import ipaddress
from datetime import timedelta

from axes.helpers import get_client_username
from axes.models import AccessAttempt, AccessBase
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone


def client_address(request: HttpRequest) -> str:
    """The address a sign-in comes from: the peer's, or what our proxies saw."""
    peer = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if not hops or not is_trusted_proxy(peer):
        return peer

    # Each of our proxies appends the address it received the request from, so
    # the entry `hops` from the end is the client as our outermost proxy saw
    # it. Entries further left came from the client and may be forged.
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < hops:
        return peer

    candidate = forwarded[-hops]
    try:
        ipaddress.ip_address(candidate)
    except ValueError:
        return peer
    return candidate


def is_trusted_proxy(peer: str) -> bool:
    # Whoever reaches the server directly, past the proxies, could otherwise
    # name any address in the header and never be locked out.
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in settings.TRUSTED_PROXIES)


def lockout_parameters(request_or_attempt, credentials=None) -> list:
    """Choose what a failure locks: the pair, and the address or username alone.

    One address trying a few passwords on each of many accounts never locks a
    pair, nor do many addresses each trying a few passwords on one account;
    counted together, their failures lock the address, or the username, on
    its own.
    """
    parameters = [["username", "ip_address"]]
    if isinstance(request_or_attempt, AccessBase):
        address = request_or_attempt.ip_address
        username = request_or_attempt.username
    else:
        address = getattr(request_or_attempt, "axes_ip_address", None)
        username = get_client_username(request_or_attempt, credentials)

    if address and (
        recent_failures(ip_address=address) >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
    ):
        parameters.append("ip_address")
    if username and (
        recent_failures(username=username) >= settings.SIGN_IN_USERNAME_FAILURE_LIMIT
    ):
        parameters.append("username")
    return parameters


def recent_failures(**client: str) -> int:
    """Wrong passwords within the lockout's wait that match `client`."""
    since = timezone.now() - timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    failures = AccessAttempt.objects.filter(
        attempt_time__gte=since, **client
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return failures or 0


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict
) -> HttpResponse:
    """Answer a locked-out sign-in with why, for how long, and what else to do."""
    return render(
        request,
        "registration/locked_out.html",
        {
            "minutes": settings.SIGN_IN_LOCKOUT_MINUTES,
            "sign_in_url": request.path,
        },
        status=429,
    )
