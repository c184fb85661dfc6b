"""Exporting submissions, with a record on each of who took them and why."""

import logging

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from onboarding.exports import export_rows, rows_csv
from onboarding.models import SubmissionEvent

logger = logging.getLogger(__name__)

EVENT_BATCH = 1000


def submissions_export(
    *, submissions, actor: AbstractBaseUser, reason: str = ""
) -> str:
    """Return the selection as CSV.

    Each exported submission records the export, so that its page tells who
    took its data out, when and why: all of them or, on a failure, none.
    """
    # One read gives both the file and the ids to record it on, so that what
    # was recorded is exactly what was sent.
    with transaction.atomic():
        rows = export_rows(submissions.order_by("-created_at"))
        exported = [row[0] for row in rows]
        SubmissionEvent.objects.bulk_create(
            (
                SubmissionEvent(
                    submission_id=submission_id,
                    kind="exported",
                    actor=actor,
                    message=reason or "Exported to CSV.",
                )
                for submission_id in exported
            ),
            batch_size=EVENT_BATCH,
        )
    logger.info(
        "%s exported %s submissions to CSV: %s",
        actor,
        len(exported),
        reason or "no reason given",
        extra={"event": "exported", "count": len(exported)},
    )
    return rows_csv(rows)
