"""The health check that load balancers and monitors poll: GET /healthz.

It answers without signing in, so it says only what an operator needs to
decide whether the portal works: no secrets, no user data, no host names.
"""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

from onboarding.models import WAITING_STATUSES, Submission
from onboarding.selectors import oldest_waiting_since
from onboarding.services import is_paused

logger = logging.getLogger(__name__)

# The same fields as a healthy answer, so that monitors parse one shape.
UNAVAILABLE = {
    "status": "unavailable",
    "database": "unreachable",
    "waiting": None,
    "oldest_waiting_seconds": None,
    "paused": None,
}


def health_report() -> dict:
    """What the database says about the queue; raise DatabaseError if it cannot."""
    waiting = Submission.objects.filter(status__in=WAITING_STATUSES).count()
    # The oldest wait is a second read, a moment after the count, and is
    # skipped when nothing waited, so an empty queue never shows an age. A
    # worker taking the last waiting submission in between leaves a count
    # with no age in this one answer; the next agrees again.
    oldest = oldest_waiting_since() if waiting else None
    age = (timezone.now() - oldest).total_seconds() if oldest else None
    return {
        "waiting": waiting,
        "oldest_waiting_seconds": None if age is None else round(max(age, 0.0), 1),
        "paused": is_paused(),
    }


# Nothing here changes state; exempt from CSRF so that any other method gets a
# plain 405 rather than a CSRF page.
@csrf_exempt
@login_not_required
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        report = health_report()
    except DatabaseError as error:
        # Django logs the 503 itself at ERROR; this line adds the cause.
        logger.warning("Health check failed: the database did not answer: %s", error)
        response = JsonResponse(UNAVAILABLE, status=503)
    else:
        response = JsonResponse({"status": "ok", "database": "ok", **report})
    # A cached answer would hide an outage from whoever polls.
    response["Cache-Control"] = "no-store"
    return response
