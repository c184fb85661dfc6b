"""How sign-in throttling tells clients apart, and what a locked-out one sees."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_address(request: HttpRequest) -> str:
    """The address a sign-in comes from: the peer's, or what our proxies saw."""
    peer = request.META.get("REMOTE_ADDR", "")
    hops = settings.TRUSTED_PROXY_COUNT
    if not hops:
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
