"""Queueing submissions for the workers.

The task itself is a thin entry point in onboarding/tasks.py; this module is
where use cases ask for one, so that the moment and the bookkeeping of every
enqueue live in one place.
"""

from datetime import datetime

from django.utils import timezone

from onboarding.models import Submission


def enqueue_processing(submission_id, *, at: datetime | None = None) -> None:
    """Ask a worker to process the submission, now or at `at`.

    Called inside the transaction that changes the submission: with the
    database task backend the task row commits, or not, with the change.
    """
    from onboarding.tasks import process_submission

    when = at or timezone.now()
    task = process_submission.using(run_after=at) if at else process_submission
    task.enqueue(str(submission_id))
    Submission.objects.filter(pk=submission_id).update(last_enqueued_at=when)


def enqueue_processing_of(submission_ids: list) -> None:
    """Ask a worker to process each of the submissions now.

    Like `enqueue_processing`, inside the transaction that changes them; one
    update marks them all, for batches of thousands.
    """
    from onboarding.tasks import process_submission

    now = timezone.now()
    for submission_id in submission_ids:
        process_submission.enqueue(str(submission_id))
    Submission.objects.filter(pk__in=submission_ids).update(last_enqueued_at=now)
