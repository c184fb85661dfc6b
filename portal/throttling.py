"""How sign-in throttling tells clients apart, and what a locked-out one sees."""

import ipaddress
from datetime import timedelta

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
    """Lock a username from an address; lock the address too once it failed often.

    One address trying a few passwords on each of many accounts never locks a
    username; counted together, its failures lock the address itself.
    """
    pair = [["username", "ip_address"]]
    if isinstance(request_or_attempt, AccessBase):
        address = request_or_attempt.ip_address
    else:
        address = getattr(request_or_attempt, "axes_ip_address", None)
    if not address:
        return pair

    since = timezone.now() - timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    failures = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=since
    ).aggregate(total=Sum("failures_since_start"))["total"]
    if (failures or 0) >= settings.SIGN_IN_ADDRESS_FAILURE_LIMIT:
        return [*pair, "ip_address"]
    return pair


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
