"""Taking a submission from queued to accepted: authorize, upload, submit.

Every state change is a conditional update, so two workers, or a worker and a
support click, never work on one submission at once. Every call to Alibaba is
stored before it is made and completed after.
"""

import logging
import random
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from onboarding import explanations
from onboarding.chatapp import (
    AUTHORIZE,
    SUBMIT,
    UPLOAD,
    ChatAppError,
    CustomerTerms,
    ErrorKind,
    UploadAuthorization,
    agreement_object_name,
)
from onboarding.models import ApiCall, FixableBy, Submission, SubmissionEvent
from onboarding.services import pipeline
from onboarding.services.client import (
    cached_authorization,
    chatapp_client,
    forget_authorization,
    remember_authorization,
)
from onboarding.services.ratelimit import SlotTooFar, hold_back, wait_for_slot
from onboarding.services.scheduling import enqueue_processing

logger = logging.getLogger(__name__)

Status = Submission.Status
T = TypeVar("T")

THROTTLING_CODES = {"Throttling", "Throttling.User", "Throttling.Api"}
THROTTLING_CODES |= {"System.LimitControl"}


def retry_delay(attempt: int) -> float:
    """Seconds before the next attempt: exponential backoff with full jitter."""
    ceiling = min(
        settings.CHATAPP_RETRY_MAX_DELAY,
        settings.CHATAPP_RETRY_BASE_DELAY * 2 ** max(attempt - 1, 0),
    )
    return random.uniform(0, ceiling)  # noqa: S311  (spreading load, not secrecy)


def submission_process(*, submission_id) -> str:
    """Take one submission as far as it can go now; return what happened."""
    held_until = pipeline.gate(submission_id=submission_id)
    if held_until is not None:
        _postpone(submission_id, held_until)
        return "paused"

    submission = _claim(submission_id)
    if submission is None:
        return "skipped"

    try:
        _send(submission)
    except ChatAppError as error:
        outcome = _handle_failure(submission, error)
    except SlotTooFar as busy:
        outcome = _release(submission, busy.wait_seconds)
    except Exception:
        logger.exception("Submission %s failed inside the portal", submission.pk)
        outcome = _handle_failure(
            submission,
            ChatAppError(
                "The portal failed while processing the submission.",
                kind=ErrorKind.RETRYABLE,
                code="PortalError",
            ),
        )
    else:
        outcome = "accepted"

    pipeline.trial_finished(submission_id=submission.pk, outcome=outcome)
    return outcome


def _claim(submission_id) -> Submission | None:
    now = timezone.now()
    claimed = Submission.objects.filter(
        pk=submission_id,
        status__in=[Status.QUEUED, Status.RETRYING],
        next_attempt_at__lte=now,
    ).update(
        status=Status.PROCESSING,
        attempts=F("attempts") + 1,
        lease_expires_at=now + timedelta(seconds=settings.PIPELINE_LEASE_SECONDS),
        updated_at=now,
    )
    if not claimed:
        return None
    return Submission.objects.get(pk=submission_id)


def _extend_lease(submission: Submission) -> None:
    expires = timezone.now() + timedelta(seconds=settings.PIPELINE_LEASE_SECONDS)
    Submission.objects.filter(pk=submission.pk, status=Status.PROCESSING).update(
        lease_expires_at=expires
    )


def _send(submission: Submission) -> None:
    client = chatapp_client()
    if submission.uploaded_at is None:
        authorization = _authorization(submission)
        _upload(submission, authorization)

    _extend_lease(submission)
    wait_for_slot(SUBMIT)
    terms = CustomerTerms(
        cust_space_id=submission.cust_space_id,
        cust_name=submission.company_name,
        office_address=submission.office_address,
        contact_mail=submission.contact_email,
        country_id=submission.country.code,
        business_desc=submission.business_description,
        isv_terms=submission.isv_terms,
    )
    _recorded(submission, SUBMIT, lambda: client.submit_customer_terms(terms))

    now = timezone.now()
    Submission.objects.filter(pk=submission.pk, status=Status.PROCESSING).update(
        status=Status.ACCEPTED,
        accepted_at=now,
        lease_expires_at=None,
        last_error_code="",
        failure_reason="",
        fixable_by="",
        updated_at=now,
    )


def _authorization(submission: Submission) -> UploadAuthorization:
    authorization = cached_authorization(submission.cust_space_id)
    if authorization is not None:
        return authorization

    wait_for_slot(AUTHORIZE)
    result = _recorded(
        submission,
        AUTHORIZE,
        lambda: chatapp_client().get_upload_authorization(submission.cust_space_id),
    )
    remember_authorization(submission.cust_space_id, result.authorization)
    return result.authorization


def _upload(submission: Submission, authorization: UploadAuthorization) -> None:
    # The name is fixed on the first attempt, so a retry writes the same key.
    if not submission.isv_terms:
        submission.isv_terms = agreement_object_name(
            submission.agreement_name, submission.pk.hex[:12]
        )
        Submission.objects.filter(pk=submission.pk).update(
            isv_terms=submission.isv_terms
        )

    with submission.agreement.open("rb") as agreement:
        result = _recorded(
            submission,
            UPLOAD,
            lambda: chatapp_client().upload_agreement(
                authorization, file=agreement, file_name=submission.isv_terms
            ),
        )
    submission.oss_key = result.key
    submission.uploaded_at = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        oss_key=submission.oss_key, uploaded_at=submission.uploaded_at
    )


def _recorded(submission: Submission, action: str, call: Callable[[], T]) -> T:
    """Make one call, with its row written before and completed after."""
    row = ApiCall.objects.create(
        submission=submission,
        attempt=submission.attempts,
        action=action,
        request={"cust_space_id": submission.cust_space_id},
    )
    try:
        result = call()
    except ChatAppError as error:
        _complete(row, error.call)
        raise
    except Exception as error:
        row.finished_at = timezone.now()
        row.outcome = ApiCall.Outcome.UNEXPECTED
        row.message = f"The portal failed before an answer came: {type(error).__name__}"
        row.save()
        raise
    _complete(row, result.call)
    return result


def _complete(row: ApiCall, record) -> None:
    if record is None:
        row.outcome = ApiCall.Outcome.UNEXPECTED
    else:
        row.started_at = record.started_at
        row.duration_ms = record.duration_ms
        row.http_status = record.http_status
        row.code = record.code
        row.message = record.message
        row.request_id = record.request_id
        row.access_denied_detail = record.access_denied_detail
        row.request = record.request
        row.response = record.response
        row.outcome = str(record.outcome or ApiCall.Outcome.UNEXPECTED)
    row.finished_at = timezone.now()
    row.save()


def _handle_failure(submission: Submission, error: ChatAppError) -> str:
    if error.refresh_authorization:
        forget_authorization(submission.cust_space_id)
    if error.code in THROTTLING_CODES and error.call is not None:
        hold_back(error.call.action, seconds=1.0)

    if error.kind == ErrorKind.ACCOUNT:
        until = pipeline.pause(error=error, submission=submission)
        _retry_at(submission, error, until, reason=explanations.account_reason(error))
        return "paused"

    if error.retryable:
        if submission.attempts >= settings.CHATAPP_MAX_ATTEMPTS:
            _fail(
                submission,
                error,
                explanations.retries_exhausted(error),
                FixableBy.SUPPORT,
            )
            return "failed"
        delay = retry_delay(submission.attempts)
        logger.warning(
            "Submission %s: attempt %s failed with %s (%s); retrying in %.0f s",
            submission.pk,
            submission.attempts,
            error.code,
            error.kind,
            delay,
        )
        _retry_at(submission, error, timezone.now() + timedelta(seconds=delay))
        return "retrying"

    reason, fixable_by = explanations.explain(
        error, cust_space_id=submission.cust_space_id
    )
    _fail(submission, error, reason, fixable_by)
    return "failed"


def _retry_at(submission, error: ChatAppError, when, *, reason: str = "") -> None:
    with transaction.atomic():
        moved = Submission.objects.filter(
            pk=submission.pk, status=Status.PROCESSING
        ).update(
            status=Status.RETRYING,
            next_attempt_at=when,
            lease_expires_at=None,
            last_error_code=error.code,
            failure_reason=reason,
            updated_at=timezone.now(),
        )
        if moved:
            enqueue_processing(submission.pk, at=when)


def _fail(submission, error: ChatAppError, reason: str, fixable_by: str) -> None:
    logger.warning(
        "Submission %s failed for good with %s; %s can fix it",
        submission.pk,
        error.code,
        fixable_by,
    )
    Submission.objects.filter(pk=submission.pk, status=Status.PROCESSING).update(
        status=Status.FAILED,
        lease_expires_at=None,
        last_error_code=error.code,
        failure_reason=reason,
        fixable_by=fixable_by,
        updated_at=timezone.now(),
    )


def _release(submission: Submission, wait_seconds: float) -> str:
    """Give the submission back: the rate limit has no slot soon enough."""
    when = timezone.now() + timedelta(seconds=wait_seconds)
    with transaction.atomic():
        released = Submission.objects.filter(
            pk=submission.pk, status=Status.PROCESSING
        ).update(
            status=Status.QUEUED if submission.attempts == 1 else Status.RETRYING,
            # Waiting for a turn is not a failed attempt.
            attempts=F("attempts") - 1,
            next_attempt_at=when,
            lease_expires_at=None,
        )
        if released:
            enqueue_processing(submission.pk, at=when)
    return "rescheduled"


def _postpone(submission_id, until) -> None:
    with transaction.atomic():
        postponed = Submission.objects.filter(
            pk=submission_id,
            status__in=[Status.QUEUED, Status.RETRYING],
            next_attempt_at__lt=until,
        ).update(next_attempt_at=until)
        if postponed:
            enqueue_processing(submission_id, at=until)


def submissions_recover(*, grace_seconds: float = 60) -> dict[str, int]:
    """Pick up what a dead worker or a lost task left behind.

    Submissions whose worker stopped holding them go back to waiting; due
    submissions that no task has picked up for a while are queued again.
    """
    now = timezone.now()
    counts = {"stale": 0, "requeued": 0}

    for submission in Submission.objects.filter(
        status=Status.PROCESSING, lease_expires_at__lt=now
    ):
        with transaction.atomic():
            moved = Submission.objects.filter(
                pk=submission.pk,
                status=Status.PROCESSING,
                lease_expires_at__lt=now,
            ).update(status=Status.RETRYING, next_attempt_at=now, lease_expires_at=None)
            if not moved:
                continue
            # A call that never got its answer written may or may not have
            # reached Alibaba.
            submission.api_calls.filter(outcome=ApiCall.Outcome.PENDING).update(
                outcome=ApiCall.Outcome.UNKNOWN_OUTCOME,
                message="The worker stopped before the answer was recorded.",
                finished_at=now,
            )
            SubmissionEvent.objects.create(
                submission=submission,
                kind="recovered",
                message="The worker processing it stopped; it was queued again.",
            )
            enqueue_processing(submission.pk)
        logger.warning(
            "Submission %s was held by a worker that stopped; queued again",
            submission.pk,
        )
        counts["stale"] += 1

    if pipeline.is_paused():
        return counts
    stranded = Submission.objects.filter(
        status__in=[Status.QUEUED, Status.RETRYING], next_attempt_at__lte=now
    ).filter(
        Q(last_enqueued_at__isnull=True)
        | Q(last_enqueued_at__lt=now - timedelta(seconds=grace_seconds))
    )
    for submission_id in stranded.values_list("pk", flat=True)[:500]:
        with transaction.atomic():
            enqueue_processing(submission_id)
        counts["requeued"] += 1
    return counts
