"""Taking a submission from queued to accepted: authorize, upload, submit.

Every state change is a conditional update, so two workers, or a worker and a
support click, never work on one submission at once. Every call to Alibaba is
stored before it is made and completed after.
"""

import logging
import random
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import Now
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
from onboarding.services import notifications, pipeline
from onboarding.services.client import (
    cached_authorization,
    chatapp_client,
    forget_authorization,
    remember_authorization,
)
from onboarding.services.log_fields import about
from onboarding.services.ratelimit import NoSlot, hold_back, wait_for_slot
from onboarding.services.scheduling import enqueue_processing

logger = logging.getLogger(__name__)

Status = Submission.Status
T = TypeVar("T")

THROTTLING_CODES = {"Throttling", "Throttling.User", "Throttling.Api"}
THROTTLING_CODES |= {"System.LimitControl"}
# After a throttling answer, how long every worker waits to call that action.
THROTTLE_HOLD_SECONDS = 1.0


class LeaseLost(Exception):
    """Another worker holds the submission now; this one must stop."""


def _lease_end():
    # Leases are timed by the database's clock, like recovery that reads them,
    # so machines whose clocks disagree still agree on who holds what.
    return ExpressionWrapper(
        Now() + timedelta(seconds=settings.PIPELINE_LEASE_SECONDS),
        output_field=DateTimeField(),
    )


def _held(submission: Submission):
    """The submission's row, as long as this claim still holds it."""
    return Submission.objects.filter(
        pk=submission.pk, status=Status.PROCESSING, claim=submission.claim
    )


def retry_delay(attempt: int) -> float:
    """Seconds before the next attempt: exponential backoff with full jitter."""
    ceiling = min(
        settings.CHATAPP_RETRY_MAX_DELAY,
        settings.CHATAPP_RETRY_BASE_DELAY * 2 ** max(attempt - 1, 0),
    )
    return random.uniform(0, ceiling)  # noqa: S311  (spreading load, not secrecy)


def submission_process(*, submission_id) -> str:
    """Take one submission as far as it can go now; return what happened."""
    submission_id = uuid.UUID(str(submission_id))
    held_until = pipeline.gate(submission_id=submission_id)
    if held_until is not None:
        logger.info(
            "Held while processing is paused submission=%s until=%s",
            submission_id,
            held_until.isoformat(),
            extra=about(submission_id, "held_for_pause", until=held_until.isoformat()),
        )
        _postpone(submission_id, held_until)
        return "paused"

    submission = _claim(submission_id)
    if submission is None:
        # Not due, finished, or held by another worker: a duplicate task.
        logger.debug(
            "Skipped submission=%s: nothing to do now",
            submission_id,
            extra=about(submission_id, "skipped"),
        )
        pipeline.release_trial(submission_id=submission_id)
        return "skipped"
    logger.info(
        "Claimed submission=%s attempt=%s",
        submission.pk,
        submission.attempts,
        extra=about(submission.pk, "claimed", attempt=submission.attempts),
    )

    try:
        _send(submission)
    except ChatAppError as error:
        outcome = _handle_failure(submission, error)
    except NoSlot as busy:
        outcome = _release(submission, busy)
    except LeaseLost:
        logger.warning(
            "Lost hold of submission=%s: this worker's hold expired and another "
            "took over; it stops here",
            submission.pk,
            extra=about(submission.pk, "lease_lost", attempt=submission.attempts),
        )
        outcome = "lease lost"
    except Exception:
        logger.exception(
            "Portal error while processing submission=%s",
            submission.pk,
            extra=about(submission.pk, "portal_error", attempt=submission.attempts),
        )
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
    claim = uuid.uuid4()
    claimed = Submission.objects.filter(
        pk=submission_id,
        status__in=[Status.QUEUED, Status.RETRYING],
        next_attempt_at__lte=timezone.now(),
    ).update(
        status=Status.PROCESSING,
        claim=claim,
        attempts=F("attempts") + 1,
        lease_expires_at=_lease_end(),
        updated_at=timezone.now(),
    )
    if not claimed:
        return None
    return Submission.objects.get(pk=submission_id)


def _renew_lease(submission: Submission) -> None:
    if not _held(submission).update(lease_expires_at=_lease_end()):
        raise LeaseLost


def _send(submission: Submission) -> None:
    client = chatapp_client()
    if submission.uploaded_at is None:
        authorization = _authorization(submission)
        _renew_lease(submission)
        _upload(submission, authorization)

    _renew_lease(submission)
    terms = CustomerTerms(
        cust_space_id=submission.cust_space_id,
        cust_name=submission.company_name,
        office_address=submission.office_address,
        contact_mail=submission.contact_email,
        country_id=submission.country.code,
        business_desc=submission.business_description,
        isv_terms=submission.isv_terms,
    )
    result = _recorded(
        submission,
        SUBMIT,
        lambda: client.submit_customer_terms(terms),
        rate_limited=True,
    )
    logger.info(
        "Terms submitted submission=%s request_id=%s",
        submission.pk,
        result.call.request_id,
        extra=about(submission.pk, "submitted", request_id=result.call.request_id),
    )

    now = timezone.now()
    accepted = _held(submission).update(
        status=Status.ACCEPTED,
        accepted_at=now,
        lease_expires_at=None,
        claim=None,
        last_error_code="",
        failure_reason="",
        fixable_by="",
        updated_at=now,
    )
    if not accepted:
        # Alibaba has the terms; whoever holds the submission now records it.
        logger.warning(
            "Lost hold of submission=%s after Alibaba accepted its terms",
            submission.pk,
            extra=about(submission.pk, "lease_lost"),
        )
        return
    logger.info(
        "Accepted submission=%s attempt=%s",
        submission.pk,
        submission.attempts,
        extra=about(submission.pk, "accepted", attempt=submission.attempts),
    )
    notifications.notify_accepted(submission)


def _authorization(submission: Submission) -> UploadAuthorization:
    authorization = cached_authorization(submission.cust_space_id)
    if authorization is not None:
        logger.info(
            "Upload authorization reused from the cache submission=%s",
            submission.pk,
            extra=about(submission.pk, "authorization_cached"),
        )
        return authorization

    result = _recorded(
        submission,
        AUTHORIZE,
        lambda: chatapp_client().get_upload_authorization(submission.cust_space_id),
        rate_limited=True,
    )
    remember_authorization(submission.cust_space_id, result.authorization)
    logger.info(
        "Upload authorization fetched submission=%s expires_at=%s",
        submission.pk,
        result.authorization.expires_at.isoformat(),
        extra=about(
            submission.pk,
            "authorization_fetched",
            expires_at=result.authorization.expires_at.isoformat(),
        ),
    )
    return result.authorization


def _upload(submission: Submission, authorization: UploadAuthorization) -> None:
    # The name is fixed on the first attempt, so a retry writes the same key.
    if not submission.isv_terms:
        submission.isv_terms = agreement_object_name(
            submission.agreement_name, submission.pk.hex[:12]
        )
        if not _held(submission).update(isv_terms=submission.isv_terms):
            raise LeaseLost

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
    if not _held(submission).update(
        oss_key=submission.oss_key, uploaded_at=submission.uploaded_at
    ):
        raise LeaseLost
    logger.info(
        "Agreement uploaded submission=%s key=%s",
        submission.pk,
        result.key,
        extra=about(submission.pk, "uploaded", oss_key=result.key),
    )


def _recorded(
    submission: Submission,
    action: str,
    call: Callable[[], T],
    *,
    rate_limited: bool = False,
) -> T:
    """Make one call, with its row written before and completed after.

    A rate-limited call takes its turn after the row is written, so nothing
    stands between the turn and the call.
    """
    row = ApiCall.objects.create(
        submission=submission,
        attempt=submission.attempts,
        action=action,
        request={"cust_space_id": submission.cust_space_id},
    )
    try:
        if rate_limited:
            wait_for_slot(action)
        result = call()
    except NoSlot as busy:
        _finish(row, outcome=ApiCall.Outcome.NOT_SENT, message=str(busy))
        raise
    except ChatAppError as error:
        _complete(row, error.call)
        raise
    except Exception as error:
        _finish(
            row,
            outcome=ApiCall.Outcome.UNEXPECTED,
            message=f"The portal failed before an answer came: {type(error).__name__}",
        )
        raise
    _complete(row, result.call)
    return result


def _finish(row: ApiCall, **fields) -> None:
    # Only a row still waiting for its answer is completed: if recovery
    # already wrote that the outcome is unknown, that record stands.
    ApiCall.objects.filter(pk=row.pk, outcome=ApiCall.Outcome.PENDING).update(
        finished_at=timezone.now(), **fields
    )


def _complete(row: ApiCall, record) -> None:
    if record is None:
        _finish(row, outcome=ApiCall.Outcome.UNEXPECTED)
        return
    _finish(
        row,
        started_at=record.started_at,
        duration_ms=record.duration_ms,
        http_status=record.http_status,
        code=record.code,
        message=record.message,
        request_id=record.request_id,
        access_denied_detail=record.access_denied_detail,
        request=record.request,
        response=record.response,
        outcome=str(record.outcome or ApiCall.Outcome.UNEXPECTED),
    )


def _handle_failure(submission: Submission, error: ChatAppError) -> str:
    if error.refresh_authorization:
        logger.info(
            "Upload authorization dropped from the cache submission=%s code=%s",
            submission.pk,
            error.code,
            extra=about(submission.pk, "authorization_dropped", code=error.code),
        )
        forget_authorization(submission.cust_space_id)
    if error.code in THROTTLING_CODES and error.call is not None:
        logger.warning(
            "Throttled submission=%s action=%s code=%s: every worker holds back "
            "for %.0f s",
            submission.pk,
            error.call.action,
            error.code,
            THROTTLE_HOLD_SECONDS,
            extra=about(
                submission.pk,
                "throttled",
                action=error.call.action,
                code=error.code,
                delay_seconds=THROTTLE_HOLD_SECONDS,
            ),
        )
        hold_back(error.call.action, seconds=THROTTLE_HOLD_SECONDS)

    if error.kind == ErrorKind.ACCOUNT:
        until = pipeline.pause(error=error, submission=submission)
        logger.warning(
            "Waiting for the pause to end submission=%s code=%s until=%s",
            submission.pk,
            error.code,
            until.isoformat(),
            extra=about(
                submission.pk,
                "waiting_for_pause",
                code=error.code,
                until=until.isoformat(),
            ),
        )
        # A refusal of the account says nothing about this submission: it
        # does not use up one of its attempts.
        _retry_at(
            submission,
            error,
            until,
            reason=explanations.account_reason(error),
            counted=False,
        )
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
            "Retry scheduled submission=%s attempt=%s code=%s kind=%s delay=%.1fs",
            submission.pk,
            submission.attempts,
            error.code,
            error.kind,
            delay,
            extra=about(
                submission.pk,
                "retry_scheduled",
                attempt=submission.attempts,
                code=error.code,
                kind=str(error.kind),
                delay_seconds=round(delay, 3),
            ),
        )
        _retry_at(submission, error, timezone.now() + timedelta(seconds=delay))
        return "retrying"

    reason, fixable_by = explanations.explain(
        error, cust_space_id=submission.cust_space_id
    )
    _fail(submission, error, reason, fixable_by)
    return "failed"


def _retry_at(
    submission, error: ChatAppError, when, *, reason: str = "", counted: bool = True
) -> None:
    with transaction.atomic():
        moved = _held(submission).update(
            status=Status.RETRYING,
            next_attempt_at=when,
            lease_expires_at=None,
            claim=None,
            attempts=F("attempts") if counted else F("attempts") - 1,
            last_error_code=error.code,
            failure_reason=reason,
            updated_at=timezone.now(),
        )
        if moved:
            enqueue_processing(submission.pk, at=when)


def _fail(submission, error: ChatAppError, reason: str, fixable_by: str) -> None:
    # A submitter's own data is theirs to correct; anything else needs support.
    logger.log(
        logging.WARNING if fixable_by == FixableBy.SUBMITTER else logging.ERROR,
        "Failed submission=%s attempt=%s code=%s fixable_by=%s reason=%s",
        submission.pk,
        submission.attempts,
        error.code,
        fixable_by,
        reason,
        extra=about(
            submission.pk,
            "failed",
            attempt=submission.attempts,
            code=error.code,
            fixable_by=str(fixable_by),
            reason=reason,
        ),
    )
    failed = _held(submission).update(
        status=Status.FAILED,
        lease_expires_at=None,
        claim=None,
        last_error_code=error.code,
        failure_reason=reason,
        fixable_by=fixable_by,
        updated_at=timezone.now(),
    )
    if failed and fixable_by == FixableBy.SUBMITTER:
        submission.failure_reason = reason
        notifications.notify_needs_action(submission)


def _release(submission: Submission, busy: NoSlot) -> str:
    """Give the submission back: the rate limit has no slot soon enough."""
    logger.info(
        "Returned to the queue for the rate limit submission=%s wait=%.1fs: %s",
        submission.pk,
        busy.wait_seconds,
        busy,
        extra=about(
            submission.pk,
            "returned_to_queue",
            delay_seconds=round(busy.wait_seconds, 3),
        ),
    )
    when = timezone.now() + timedelta(seconds=busy.wait_seconds)
    with transaction.atomic():
        released = _held(submission).update(
            status=Status.QUEUED if submission.attempts == 1 else Status.RETRYING,
            # Waiting for a turn is not a failed attempt.
            attempts=F("attempts") - 1,
            next_attempt_at=when,
            lease_expires_at=None,
            claim=None,
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

    Submissions whose worker stopped holding them go back to waiting (or fail,
    once their attempts are used up); due submissions whose task is gone are
    queued again.
    """
    counts = {"stale": 0, "requeued": 0}
    for submission in Submission.objects.filter(
        status=Status.PROCESSING, lease_expires_at__lt=Now()
    ):
        if _recover_stale(submission):
            counts["stale"] += 1

    if pipeline.is_paused():
        return counts
    now = timezone.now()
    stranded = Submission.objects.filter(
        status__in=[Status.QUEUED, Status.RETRYING], next_attempt_at__lte=now
    ).filter(
        Q(last_enqueued_at__isnull=True)
        | Q(last_enqueued_at__lt=now - timedelta(seconds=grace_seconds))
    )
    waiting_tasks = _submissions_with_waiting_tasks()
    for submission_id in stranded.values_list("pk", flat=True)[:500]:
        if str(submission_id) in waiting_tasks:
            continue
        logger.warning(
            "Task lost, queued again submission=%s",
            submission_id,
            extra=about(submission_id, "requeued"),
        )
        with transaction.atomic():
            enqueue_processing(submission_id)
        counts["requeued"] += 1
    return counts


def _recover_stale(submission: Submission) -> bool:
    exhausted = submission.attempts >= settings.CHATAPP_MAX_ATTEMPTS
    now = timezone.now()
    with transaction.atomic():
        stale = Submission.objects.filter(
            pk=submission.pk, claim=submission.claim, lease_expires_at__lt=Now()
        )
        if exhausted:
            moved = stale.update(
                status=Status.FAILED,
                lease_expires_at=None,
                claim=None,
                failure_reason=explanations.retries_exhausted(
                    ChatAppError("", kind=ErrorKind.RETRYABLE, code="WorkerStopped")
                ),
                fixable_by=FixableBy.SUPPORT,
                last_error_code="WorkerStopped",
                updated_at=now,
            )
        else:
            moved = stale.update(
                status=Status.RETRYING,
                next_attempt_at=now,
                lease_expires_at=None,
                claim=None,
                updated_at=now,
            )
        if not moved:
            return False
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
            message="The worker processing it stopped; "
            + ("its attempts were used up." if exhausted else "it was queued again."),
        )
        if not exhausted:
            enqueue_processing(submission.pk)
    outcome = "failed, attempts used up" if exhausted else "queued again"
    logger.warning(
        "Recovered from a stopped worker submission=%s attempt=%s: %s",
        submission.pk,
        submission.attempts,
        outcome,
        extra=about(
            submission.pk,
            "recovered",
            attempt=submission.attempts,
            outcome=outcome,
        ),
    )
    return True


def _submissions_with_waiting_tasks() -> set[str]:
    """Ids of submissions that already have a task waiting or running."""
    from django_tasks_db.models import DBTaskResult

    # A task marked running long ago belongs to a worker that died.
    recent = timezone.now() - timedelta(seconds=settings.PIPELINE_LEASE_SECONDS)
    rows = (
        DBTaskResult.objects.filter(task_path="onboarding.tasks.process_submission")
        .filter(Q(status="READY") | Q(status="RUNNING", started_at__gt=recent))
        .values_list("args_kwargs", flat=True)
    )
    return {str(row["args"][0]) for row in rows if row.get("args")}
