from django import template
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onboarding.models import ApiCall, Submission

register = template.Library()

Status = Submission.Status

BADGE_STYLES = {
    Status.QUEUED: "text-bg-secondary",
    Status.PROCESSING: "text-bg-info",
    Status.RETRYING: "text-bg-warning",
    Status.ACCEPTED: "text-bg-success",
    Status.FAILED: "text-bg-danger",
}

EXPLANATIONS = {
    Status.QUEUED: _(
        "Stored in the portal and waiting its turn to be sent to Alibaba Cloud."
    ),
    Status.PROCESSING: _(
        "Being sent to Alibaba Cloud: the agreement is uploaded, then the terms "
        "are submitted."
    ),
    Status.RETRYING: _(
        "Alibaba Cloud could not take it just now. The portal will try again "
        "by itself; nothing is needed from you."
    ),
    Status.ACCEPTED: _("Alibaba Cloud accepted the customer's terms. All done."),
    Status.FAILED: _("The terms could not be registered with Alibaba Cloud."),
}


@register.simple_tag
def status_badge(status: str) -> str:
    label = Status(status).label if status in Status.values else status
    style = BADGE_STYLES.get(status, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', style, label)


@register.filter
def status_explanation(status: str) -> str:
    return EXPLANATIONS.get(status, "")


OUTCOME_STYLES = {
    "ok": "text-bg-success",
    "pending": "text-bg-secondary",
    "retryable": "text-bg-warning",
    "unknown_outcome": "text-bg-warning",
    "submitter": "text-bg-danger",
    "account": "text-bg-danger",
    "unexpected": "text-bg-danger",
}


@register.simple_tag
def call_outcome_badge(outcome: str) -> str:
    label = dict(ApiCall.Outcome.choices).get(outcome, outcome)
    style = OUTCOME_STYLES.get(outcome, "text-bg-light")
    return format_html('<span class="badge {}">{}</span>', style, label)
