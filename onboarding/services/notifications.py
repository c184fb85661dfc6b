"""Email to the people who must know: submitters and the portal's admins.

Mail goes out after the change it reports has committed, and a mail server
that fails is logged, never allowed to undo or block processing.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template import Context
from django.template.loader import get_template
from django.urls import reverse

from onboarding.models import PipelineState, Submission

logger = logging.getLogger(__name__)


def _send(template: str, context: dict, recipients: list[str]) -> None:
    recipients = sorted({address for address in recipients if address})
    if not recipients:
        return
    subject = _plain_text(f"emails/{template}_subject.txt", context).strip()
    body = _plain_text(f"emails/{template}.txt", context)

    def deliver() -> None:
        try:
            send_mail(subject, body, None, recipients)
        except Exception:
            logger.exception("Could not send the %s email to %s", template, recipients)

    transaction.on_commit(deliver)


def _plain_text(name: str, context: dict) -> str:
    """Render a mail template as the plain text it is.

    Escaping is for HTML: in a text mail "Smith & Sons" would read
    "Smith &amp; Sons". The engine escapes every template alike, so this one
    renders without it.
    """
    return get_template(name).template.render(Context(context, autoescape=False))


def _link(submission: Submission) -> str:
    """The submission's page in the portal, which its submitter can open."""
    return settings.PORTAL_BASE_URL.rstrip("/") + submission.get_absolute_url()


def _admin_link(submission: Submission) -> str:
    """The submission's page in the admin, which the portal's admins can open."""
    path = reverse("admin:onboarding_submission_change", args=[submission.pk])
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def admin_addresses() -> list[str]:
    superusers = (
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
    )
    return [*superusers.values_list("email", flat=True), *settings.ALERT_EMAILS]


def notify_accepted(submission: Submission) -> None:
    _send(
        "accepted",
        {"submission": submission, "link": _link(submission)},
        [submission.submitted_by.email],
    )


def notify_needs_action(submission: Submission) -> None:
    _send(
        "needs_action",
        {"submission": submission, "link": _link(submission)},
        [submission.submitted_by.email],
    )


def notify_paused(state: PipelineState, submission: Submission) -> None:
    _send(
        "paused",
        {"state": state, "submission": submission, "link": _admin_link(submission)},
        admin_addresses(),
    )
