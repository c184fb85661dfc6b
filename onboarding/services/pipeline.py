"""The circuit breaker: an account-level refusal pauses all processing.

When Alibaba refuses the account itself (permissions, subscription, keys),
every submission would fail the same way. The first one that meets it pauses
the pipeline instead; after a cool-off one trial submission tests whether the
problem is gone, and support can lift the pause at any time.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from onboarding.chatapp import ChatAppError
from onboarding.models import PipelineState, Submission, SubmissionEvent
from onboarding.services import notifications
from onboarding.services.log_fields import StepLog
from onboarding.services.scheduling import enqueue_processing

logger = logging.getLogger(__name__)
steps = StepLog(logger)

# How long others wait before asking again whether the trial went through.
TRIAL_POLL_SECONDS = 15

# What an operator reads first: the fields after it say which refusal.
PAUSED = (
    "Processing paused as Alibaba refused the account; fix it, then run "
    "'manage.py pipeline resume'"
)


def is_paused() -> bool:
    return PipelineState.objects.filter(pk=1, paused=True).exists()


def pause(*, error: ChatAppError, submission: Submission) -> datetime:
    """Pause processing (if not already); return when a trial may run."""
    state = PipelineState.current()
    now = timezone.now()
    cool_off_until = now + timedelta(seconds=settings.PIPELINE_COOL_OFF_SECONDS)
    paused_now = PipelineState.objects.filter(pk=state.pk, paused=False).update(
        paused=True,
        paused_at=now,
        reason=error.message,
        error_code=error.code,
        cool_off_until=cool_off_until,
        trial_submission=None,
        trial_started_at=None,
    )
    if paused_now:
        steps.error(
            "paused",
            submission.pk,
            PAUSED,
            code=error.code,
            reason=error.message,
            until=cool_off_until,
        )
        SubmissionEvent.objects.create(
            submission=submission,
            kind="paused",
            message=f"Processing paused: {error.code}",
        )
        notifications.notify_paused(PipelineState.current(), submission)
        return cool_off_until
    return PipelineState.current().cool_off_until or cool_off_until


def gate(*, submission_id) -> datetime | None:
    """None when the submission may be processed now, else when to ask again."""
    state = PipelineState.current()
    if not state.paused:
        return None

    now = timezone.now()
    if state.cool_off_until and now < state.cool_off_until:
        return state.cool_off_until
    if str(state.trial_submission_id) == str(submission_id):
        return None

    # One trial at a time; a trial whose worker died is replaced.
    stale = now - timedelta(seconds=settings.PIPELINE_LEASE_SECONDS)
    won = (
        PipelineState.objects.filter(pk=state.pk, paused=True)
        .filter(Q(trial_submission__isnull=True) | Q(trial_started_at__lt=stale))
        .update(trial_submission_id=submission_id, trial_started_at=now)
    )
    if won:
        steps.info("trial_started", submission_id, "Trial after the pause")
        return None
    return now + timedelta(seconds=TRIAL_POLL_SECONDS)


def release_trial(*, submission_id) -> None:
    """Free the trial slot if this submission held it but did not run."""
    PipelineState.objects.filter(pk=1, trial_submission_id=submission_id).update(
        trial_submission=None, trial_started_at=None
    )


# Trial outcomes that prove Alibaba answered without refusing the account.
PROOF_OF_HEALTH = {"accepted", "failed"}


def trial_finished(*, submission_id, outcome: str) -> None:
    """After a trial: resume only on proof that the account works again."""
    state = PipelineState.current()
    if not state.paused or str(state.trial_submission_id) != str(submission_id):
        return

    if outcome == "paused":
        # Refused again: wait another cool-off before the next trial.
        next_trial = timezone.now() + timedelta(
            seconds=settings.PIPELINE_COOL_OFF_SECONDS
        )
        PipelineState.objects.filter(pk=state.pk).update(
            cool_off_until=next_trial,
            trial_submission=None,
            trial_started_at=None,
        )
        text = "Trial refused too, still paused"
        steps.error("trial_refused", submission_id, text, until=next_trial)
        return
    if outcome not in PROOF_OF_HEALTH:
        # No verdict (a 503, a timeout, no turn): let another trial go.
        text = "Trial gave no verdict, another may go"
        steps.info("trial_no_verdict", submission_id, text, outcome=outcome)
        release_trial(submission_id=submission_id)
        return
    text = "Trial went through, resuming"
    steps.info("trial_passed", submission_id, text, outcome=outcome)
    resume(actor=None, reason="A trial submission went through.")


def resume(*, actor: AbstractBaseUser | None, reason: str) -> int | None:
    """Lift the pause and queue what waited; return how many were queued.

    Return None when processing was not paused: nothing is changed then.
    """
    now = timezone.now()
    with transaction.atomic():
        lifted = PipelineState.objects.filter(pk=1, paused=True).update(
            paused=False,
            cool_off_until=None,
            trial_submission=None,
            trial_started_at=None,
            resumed_at=now,
            resumed_by=actor,
            resume_reason=reason,
        )
        if not lifted:
            return None

        waiting = list(
            Submission.objects.filter(
                status__in=[Submission.Status.QUEUED, Submission.Status.RETRYING]
            ).values_list("pk", flat=True)
        )
        Submission.objects.filter(pk__in=waiting).update(next_attempt_at=now)
        SubmissionEvent.objects.bulk_create(
            SubmissionEvent(
                submission_id=submission_id,
                kind="resumed",
                actor=actor,
                message=f"Processing resumed: {reason}",
            )
            for submission_id in waiting
        )
        for submission_id in waiting:
            enqueue_processing(submission_id)
    logger.warning(
        "Processing resumed by %s: %s; %s submissions queued",
        actor or "the pipeline",
        reason,
        len(waiting),
        extra={"event": "resumed", "queued": len(waiting)},
    )
    # One line each, so that a submission's own lines tell its whole story.
    for submission_id in waiting:
        steps.info("resumed", submission_id, "Queued again after the pause")
    return len(waiting)
