"""Storing submissions and sending them again."""

import logging
import uuid
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from onboarding.agreements import inspect_agreement
from onboarding.models import Submission, SubmissionEvent
from onboarding.selectors import submission_for_form_token
from onboarding.services.log_fields import StepLog
from onboarding.services.ratelimit import SPACING_MARGIN
from onboarding.services.scheduling import enqueue_processing, enqueue_processing_of

logger = logging.getLogger(__name__)
steps = StepLog(logger)


def submission_create(
    *,
    submitted_by: AbstractBaseUser,
    form_token: uuid.UUID,
    cust_space_id: str,
    company_name: str,
    office_address: str,
    contact_email: str,
    country: str,
    business_description: str,
    agreement: UploadedFile,
) -> tuple[Submission, bool]:
    """Store a new queued submission with its agreement.

    Return the submission and whether it was created: a second call with the
    same form token returns the first submission and stores nothing. Raise
    ValidationError when the agreement is not an acceptable PDF.
    """
    existing = submission_for_form_token(submitted_by, form_token)
    if existing is not None:
        return existing, False

    agreement_file = inspect_agreement(
        agreement, max_bytes=settings.AGREEMENT_MAX_BYTES
    )

    submission = Submission(
        submitted_by=submitted_by,
        form_token=form_token,
        cust_space_id=cust_space_id,
        company_name=company_name,
        office_address=office_address,
        contact_email=contact_email,
        country=country,
        business_description=business_description,
        agreement_name=agreement_file.name,
        agreement_size=agreement_file.size,
        agreement_sha256=agreement_file.sha256,
        status=Submission.Status.QUEUED,
    )

    stored, created = _store(submission, agreement, agreement_file.name)
    if created:
        steps.info("created", stored.pk, "Created", by=str(submitted_by))
    return stored, created


def _store(
    submission: Submission, agreement: UploadedFile, file_name: str
) -> tuple[Submission, bool]:
    """Store the agreement and the queued row; return the row and whether it is new.

    The row already stored for the form token is returned when another request
    stored it first.
    """
    # The file is written first so the row never points at nothing; if the row
    # cannot be stored, the file goes too. The task is queued in the same
    # transaction, so a crash can never leave a stored submission unqueued.
    submission.agreement.save(file_name, agreement, save=False)
    try:
        with transaction.atomic():
            submission.save(force_insert=True)
            enqueue_processing(submission.pk)
    except IntegrityError:
        submission.agreement.delete(save=False)
        # A concurrent request with the same form token won the race.
        existing = submission_for_form_token(
            submission.submitted_by, submission.form_token
        )
        if existing is None:
            raise
        return existing, False
    except BaseException:
        submission.agreement.delete(save=False)
        raise
    return submission, True


class NotReprocessable(Exception):
    """The submission cannot be sent again in its current state."""


# Submissions queued again in one transaction when support picks many.
REPROCESS_BATCH = 500

# The log line of each way back into the queue.
REQUEUED = {
    "reprocessed": "Queued again as it was",
    "resubmitted": "Queued again with the submitter's corrections",
}


def _requeue(
    submission_ids: list,
    *,
    actor: AbstractBaseUser | None,
    kind: str,
    message: str,
    changes: dict | None = None,
) -> list:
    """Move the failed ones among the submissions back to the queue, keeping
    their history; return the ids of those moved."""
    now = timezone.now()
    with transaction.atomic():
        # Locked first, so that those found failed are the ones moved, even
        # when a support click or a resubmission races this one.
        moving = list(
            Submission.objects.select_for_update()
            .filter(pk__in=submission_ids, status=Submission.Status.FAILED)
            .values_list("pk", flat=True)
        )
        Submission.objects.filter(pk__in=moving).update(
            status=Submission.Status.QUEUED,
            attempts=0,
            next_attempt_at=now,
            requeued_at=now,
            last_error_code="",
            failure_reason="",
            fixable_by="",
            updated_at=now,
            **(changes or {}),
        )
        SubmissionEvent.objects.bulk_create(
            SubmissionEvent(
                submission_id=submission_id, kind=kind, actor=actor, message=message
            )
            for submission_id in moving
        )
        enqueue_processing_of(moving)

    by = str(actor or "the command line")
    for submission_id in moving:
        steps.info(kind, submission_id, REQUEUED[kind], by=by)
    return moving


def _requeue_one(submission: Submission, **requeue) -> None:
    if not _requeue([submission.pk], **requeue):
        raise NotReprocessable(_refusal(submission))


def _refusal(submission: Submission) -> str:
    submission.refresh_from_db(fields=["status"])
    if submission.status == Submission.Status.ACCEPTED:
        return "It was accepted already; there is nothing to send again."
    if submission.status == Submission.Status.FAILED:
        return "It changed while being queued; try again."
    return "It is still being processed; only failed submissions can be sent again."


def submission_reprocess(
    *, submission: Submission, actor: AbstractBaseUser | None, reason: str = ""
) -> None:
    """Queue a failed submission again, as it is.

    Raise NotReprocessable, with the reason, for any other status.
    """
    _requeue_one(
        submission,
        actor=actor,
        kind="reprocessed",
        message=reason or "Queued again.",
    )


def submission_resubmit(
    *,
    submission: Submission,
    actor: AbstractBaseUser,
    fields: dict[str, str],
    agreement: UploadedFile | None = None,
) -> None:
    """Queue a failed submission again with the submitter's corrections.

    A replaced agreement is stored and uploaded anew; the history stays.
    """
    # The upload folder depends on the space ID, and the file may be new:
    # upload again in any case rather than trust the earlier object.
    changes = {**fields, "oss_key": "", "uploaded_at": None}
    new_file_name = None
    if agreement is not None:
        info = inspect_agreement(agreement, max_bytes=settings.AGREEMENT_MAX_BYTES)
        new_file_name = submission.agreement.storage.save(
            submission.agreement.field.generate_filename(submission, info.name),
            agreement,
        )
        changes.update(
            agreement=new_file_name,
            agreement_name=info.name,
            agreement_size=info.size,
            agreement_sha256=info.sha256,
            isv_terms="",
        )

    # The stored name, whatever a form may have set on the instance meanwhile.
    old_file_name = Submission.objects.values_list("agreement", flat=True).get(
        pk=submission.pk
    )
    try:
        _requeue_one(
            submission,
            actor=actor,
            kind="resubmitted",
            message="Corrected by the submitter and queued again.",
            changes=changes,
        )
    except BaseException:
        if new_file_name:
            submission.agreement.storage.delete(new_file_name)
        raise
    if new_file_name:
        storage = submission.agreement.storage
        transaction.on_commit(lambda: storage.delete(old_file_name))


@dataclass(frozen=True)
class ReprocessPlan:
    """What reprocessing a selection would do, before anyone confirms it."""

    to_queue: dict[str, int]
    skipped: dict[str, int]
    submission_ids: list

    @property
    def count(self) -> int:
        return sum(self.to_queue.values())

    def seconds_at_rate_limit(self, per_second: int) -> float:
        # One submit call each, spaced as the rate limiter spaces them.
        return self.count * SPACING_MARGIN / per_second


SKIP_REASONS = {
    Submission.Status.ACCEPTED: "accepted already",
    Submission.Status.QUEUED: "waiting in the queue already",
    Submission.Status.RETRYING: "waiting to retry already",
    Submission.Status.PROCESSING: "being processed",
}


def reprocess_plan(submissions) -> ReprocessPlan:
    """Count, per error code, what would be queued again and what skipped."""
    to_queue: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    ids = []
    for submission_id, status, code in submissions.values_list(
        "pk", "status", "last_error_code"
    ):
        if status == Submission.Status.FAILED:
            to_queue[code or "(no code)"] += 1
            ids.append(submission_id)
        else:
            skipped[SKIP_REASONS.get(status, status)] += 1
    return ReprocessPlan(
        to_queue=dict(sorted(to_queue.items())),
        skipped=dict(sorted(skipped.items())),
        submission_ids=ids,
    )


def submissions_reprocess(
    *, submissions, actor: AbstractBaseUser | None, reason: str = ""
) -> tuple[int, int]:
    """Queue the failed ones of a selection again; return (queued, refused).

    They go in batches of one transaction each, so that thousands are queued
    within one request, and a failure part way keeps the batches before it.
    """
    failed = list(
        submissions.filter(status=Submission.Status.FAILED).values_list("pk", flat=True)
    )
    queued = 0
    for start in range(0, len(failed), REPROCESS_BATCH):
        queued += len(
            _requeue(
                failed[start : start + REPROCESS_BATCH],
                actor=actor,
                kind="reprocessed",
                message=reason or "Queued again.",
            )
        )
    return queued, len(failed) - queued
