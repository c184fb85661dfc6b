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
from onboarding.services.log_fields import StepLog
from onboarding.services.ratelimit import NoSlot, hold_back, wait_for_slot
from onboarding.services.scheduling import enqueue_processing

logger = logging.getLogger(__name__)
steps = StepLog(logger)

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
        text = "Held while processing is paused"
        steps.info("held_for_pause", submission_id, text, until=held_until)
        _postpone(submission_id, held_until)
        return "paused"

    submission = _claim(submission_id)
    if submission is None:
        # Not due, finished, or held by another worker: a duplicate task.
        steps.debug("skipped", submission_id, "Skipped, nothing to do now")
        pipeline.release_trial(submission_id=submission_id)
        return "skipped"
    steps.info("claimed", submission.pk, "Claimed", attempt=submission.attempts)

    outcome = _attempt(submission)
    pipeline.trial_finished(submission_id=submission.pk, outcome=outcome)
    return outcome


def _attempt(submission: Submission) -> str:
    """Send a claimed submission; return the outcome, whatever went wrong."""
    try:
        _send(submission)
    except ChatAppError as error:
        return _handle_failure(submission, error)
    except NoSlot as busy:
        return _release(submission, busy)
    except LeaseLost:
        text = "Stopped: this worker's hold expired and another took over"
        steps.warning("lease_lost", submission.pk, text, attempt=submission.attempts)
        return "lease lost"
    except Exception:
        text = "Portal error while processing"
        steps.exception(
            "portal_error", submission.pk, text, attempt=submission.attempts
        )
        return _handle_failure(submission, _portal_error())
    return "accepted"


def _portal_error() -> ChatAppError:
    # A fault of the portal's own may pass, like a lost connection.
    return ChatAppError(
        "The portal failed while processing the submission.",
        kind=ErrorKind.RETRYABLE,
        code="PortalError",
    )


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
    terms = _customer_terms(submission)
    result = _recorded(
        submission,
        SUBMIT,
        lambda: client.submit_customer_terms(terms),
        rate_limited=True,
    )
    request_id = result.call.request_id
    steps.info("submitted", submission.pk, "Terms submitted", request_id=request_id)

    _accept(submission)


def _customer_terms(submission: Submission) -> CustomerTerms:
    return CustomerTerms(
        cust_space_id=submission.cust_space_id,
        cust_name=submission.company_name,
        office_address=submission.office_address,
        contact_mail=submission.contact_email,
        country_id=submission.country.code,
        business_desc=submission.business_description,
        isv_terms=submission.isv_terms,
    )


def _accept(submission: Submission) -> None:
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
        text = "Lost hold after Alibaba accepted the terms"
        steps.warning("lease_lost", submission.pk, text)
        return
    steps.info("accepted", submission.pk, "Accepted", attempt=submission.attempts)
    notifications.notify_accepted(submission)


def _authorization(submission: Submission) -> UploadAuthorization:
    authorization = cached_authorization(submission.cust_space_id)
    if authorization is not None:
        text = "Upload authorization reused from the cache"
        steps.info("authorization_cached", submission.pk, text)
        return authorization

    result = _recorded(
        submission,
        AUTHORIZE,
        lambda: chatapp_client().get_upload_authorization(submission.cust_space_id),
        rate_limited=True,
    )
    remember_authorization(submission.cust_space_id, result.authorization)
    expires_at = result.authorization.expires_at
    text = "Upload authorization fetched"
    steps.info("authorization_fetched", submission.pk, text, expires_at=expires_at)
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
    steps.info("uploaded", submission.pk, "Agreement uploaded", oss_key=result.key)


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
    _forget_refused_authorization(submission, error)
    _hold_back_when_throttled(submission, error)

    if error.kind == ErrorKind.ACCOUNT:
        return _wait_for_pause(submission, error)
    if error.retryable:
        return _retry_or_give_up(submission, error)
    reason, fixable_by = explanations.explain(
        error, cust_space_id=submission.cust_space_id
    )
    _fail(submission, error, reason, fixable_by)
    return "failed"


def _forget_refused_authorization(submission: Submission, error: ChatAppError) -> None:
    if not error.refresh_authorization:
        return
    text = "Upload authorization dropped from the cache"
    steps.info("authorization_dropped", submission.pk, text, code=error.code)
    forget_authorization(submission.cust_space_id)


def _hold_back_when_throttled(submission: Submission, error: ChatAppError) -> None:
    if error.code not in THROTTLING_CODES or error.call is None:
        return
    steps.warning(
        "throttled",
        submission.pk,
        "Throttled, every worker holds back",
        action=error.call.action,
        code=error.code,
        delay_seconds=THROTTLE_HOLD_SECONDS,
    )
    hold_back(error.call.action, seconds=THROTTLE_HOLD_SECONDS)


def _wait_for_pause(submission: Submission, error: ChatAppError) -> str:
    until = pipeline.pause(error=error, submission=submission)
    steps.warning(
        "waiting_for_pause",
        submission.pk,
        "Waiting for the pause to end",
        code=error.code,
        until=until,
    )
    # A refusal of the account says nothing about this submission: it does
    # not use up one of its attempts.
    reason = explanations.account_reason(error)
    _retry_at(submission, error, until, reason=reason, counted=False)
    return "paused"


def _retry_or_give_up(submission: Submission, error: ChatAppError) -> str:
    if submission.attempts >= settings.CHATAPP_MAX_ATTEMPTS:
        reason = explanations.retries_exhausted(error)
        _fail(submission, error, reason, FixableBy.SUPPORT)
        return "failed"

    delay = retry_delay(submission.attempts)
    when = timezone.now() + timedelta(seconds=delay)
    steps.warning(
        "retry_scheduled",
        submission.pk,
        "Retry scheduled",
        attempt=submission.attempts,
        code=error.code,
        kind=error.kind,
        delay_seconds=round(delay, 3),
        until=when,
    )
    _retry_at(submission, error, when)
    return "retrying"


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
    steps.log(
        logging.WARNING if fixable_by == FixableBy.SUBMITTER else logging.ERROR,
        "failed",
        submission.pk,
        "Failed",
        attempt=submission.attempts,
        code=error.code,
        fixable_by=fixable_by,
        reason=reason,
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
    when = timezone.now() + timedelta(seconds=busy.wait_seconds)
    steps.info(
        "returned_to_queue",
        submission.pk,
        "Returned to the queue for the rate limit",
        delay_seconds=round(busy.wait_seconds, 3),
        until=when,
        cause=str(busy),
    )
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
        steps.warning("requeued", submission_id, "Task lost, queued again")
        with transaction.atomic():
            enqueue_processing(submission_id)
        counts["requeued"] += 1
    return counts


def _recover_stale(submission: Submission) -> bool:
    exhausted = submission.attempts >= settings.CHATAPP_MAX_ATTEMPTS
    now = timezone.now()
    with transaction.atomic():
        moved = Submission.objects.filter(
            pk=submission.pk, claim=submission.claim, lease_expires_at__lt=Now()
        ).update(**_after_stopped_worker(exhausted=exhausted, now=now), updated_at=now)
        if not moved:
            return False
        _record_stopped_worker(submission, exhausted=exhausted, now=now)
        if not exhausted:
            enqueue_processing(submission.pk)

    outcome = "failed, attempts used up" if exhausted else "queued again"
    steps.warning(
        "recovered",
        submission.pk,
        "Recovered from a stopped worker",
        attempt=submission.attempts,
        outcome=outcome,
    )
    return True


def _after_stopped_worker(*, exhausted: bool, now) -> dict:
    """The changes to a submission whose worker stopped holding it."""
    released = {"lease_expires_at": None, "claim": None}
    if not exhausted:
        return {**released, "status": Status.RETRYING, "next_attempt_at": now}
    stopped = ChatAppError("", kind=ErrorKind.RETRYABLE, code="WorkerStopped")
    return {
        **released,
        "status": Status.FAILED,
        "failure_reason": explanations.retries_exhausted(stopped),
        "fixable_by": FixableBy.SUPPORT,
        "last_error_code": stopped.code,
    }


def _record_stopped_worker(submission: Submission, *, exhausted: bool, now) -> None:
    # A call that never got its answer written may or may not have reached
    # Alibaba.
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
