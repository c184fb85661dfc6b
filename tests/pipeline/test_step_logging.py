"""Each step and decision of the pipeline leaves one log line naming its submission."""

import json
import logging
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from onboarding.chatapp import AUTHORIZE
from onboarding.models import RateLimit, Submission
from onboarding.services import pipeline_resume, submission_process, submissions_recover
from onboarding.services.ratelimit import hold_back
from portal.logs import JsonFormatter
from tests.pipeline.conftest import drain
from tests.pipeline.test_happy_path import create

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines(caplog):
    """The log lines about one submission, in order, at INFO and above."""
    caplog.set_level(logging.INFO)

    def about(submission) -> list[logging.LogRecord]:
        return [
            record
            for record in caplog.records
            if getattr(record, "submission_id", None) == str(submission.pk)
        ]

    return about


def events(records) -> list[str]:
    """The events in order, without the turns the rate limiter gave back.

    On a busy machine a call may miss its slot by more than the limiter allows;
    the submission then goes back to the queue and is claimed again.
    """
    found = []
    given_back = False
    for record in records:
        if record.event == "returned_to_queue":
            given_back = True
        elif given_back and record.event == "claimed":
            given_back = False
        else:
            found.append(record.event)
    return found


def only(records, event: str) -> logging.LogRecord:
    [record] = [record for record in records if record.event == event]
    return record


def test_an_accepted_submission_logs_each_step_once_with_its_id(
    staff, pdf_upload, lines
):
    submission = create(staff, pdf_upload)

    drain()

    records = lines(submission)
    assert events(records) == [
        "created",
        "claimed",
        "authorization_fetched",
        "uploaded",
        "submitted",
        "accepted",
    ]
    for record in records:
        assert f"submission={submission.pk}" in record.getMessage()
        assert record.levelno == logging.INFO
        assert record.name.startswith("onboarding.services.")
    submitted = only(records, "submitted")
    call = submission.api_calls.get(action="SubmitIsvCustomerTerms")
    assert submitted.request_id == call.request_id
    assert f"request_id={call.request_id}" in submitted.getMessage()
    assert only(records, "uploaded").oss_key.startswith("isv-terms/293483938849493/")

    # The same line as a log collector receives it.
    entry = json.loads(JsonFormatter().format(only(records, "accepted")))
    assert entry["submission_id"] == str(submission.pk)
    assert entry["event"] == "accepted"
    assert entry["attempt"] == 1
    assert entry["level"] == "INFO"


def test_a_second_submission_for_the_space_says_its_authorization_was_cached(
    staff, pdf_upload, lines
):
    first = create(staff, pdf_upload)
    drain()
    second = create(staff, pdf_upload)
    drain()

    assert "authorization_fetched" in events(lines(first))
    assert "authorization_cached" in events(lines(second))
    assert "authorization_fetched" not in events(lines(second))


def test_a_passing_failure_logs_the_retry_with_its_attempt_and_delay(
    staff, pdf_upload, lines
):
    submission = create(staff, pdf_upload, "flaky-503-293483938849493")

    drain()

    records = lines(submission)
    assert events(records) == [
        "created",
        "claimed",
        "authorization_fetched",
        "uploaded",
        "retry_scheduled",
        # Uploaded already: the retry only submits.
        "claimed",
        "submitted",
        "accepted",
    ]
    retry = only(records, "retry_scheduled")
    assert retry.levelno == logging.WARNING
    assert (retry.attempt, retry.code, retry.kind) == (
        1,
        "ServiceUnavailable",
        "retryable",
    )
    assert 0 <= retry.delay_seconds <= 0.05
    assert "attempt=1 code=ServiceUnavailable" in retry.getMessage()
    assert f"delay_seconds={retry.delay_seconds}" in retry.getMessage()


def test_a_throttling_answer_logs_that_every_worker_holds_back(
    staff, pdf_upload, lines
):
    submission = create(staff, pdf_upload, "flaky-throttle-293483938849493")

    drain()

    records = lines(submission)
    throttled = only(records, "throttled")
    assert throttled.levelno == logging.WARNING
    assert throttled.action == "SubmitIsvCustomerTerms"
    assert throttled.code == "Throttling.User"
    assert events(records).index("throttled") < events(records).index("retry_scheduled")
    assert events(records)[-1] == "accepted"


def test_wrong_data_logs_the_failure_with_its_reason_and_who_can_fix_it(
    staff, pdf_upload, lines
):
    submission = create(staff, pdf_upload, "fail-owner-293483938849493")

    drain()

    failed = only(lines(submission), "failed")
    submission.refresh_from_db()
    assert failed.levelno == logging.WARNING
    assert failed.fixable_by == "submitter"
    assert failed.code == "Unknown.ResourceOwnerId"
    assert failed.reason == submission.failure_reason
    assert "fixable_by=submitter" in failed.getMessage()
    assert "does not belong to this ISV account" in failed.getMessage()


def test_exhausted_retries_log_an_error_for_support(staff, pdf_upload, lines, settings):
    settings.CHATAPP_MAX_ATTEMPTS = 1
    submission = create(staff, pdf_upload, "fail-500-293483938849493")

    drain()

    failed = only(lines(submission), "failed")
    assert failed.levelno == logging.ERROR
    assert failed.fixable_by == "support"
    assert failed.reason.startswith("Retries exhausted")
    assert "retry_scheduled" not in events(lines(submission))


def test_a_submission_without_a_turn_soon_goes_back_to_the_queue(
    staff, pdf_upload, lines, settings
):
    settings.CHATAPP_MAX_SLOT_WAIT = 1.0
    submission = create(staff, pdf_upload)
    # Another worker met throttling: nobody may ask for an authorization soon.
    hold_back(AUTHORIZE, seconds=30)
    free_slot = RateLimit.objects.get(pk=AUTHORIZE).next_slot_at

    started = timezone.now()
    outcome = submission_process(submission_id=submission.pk)
    finished = timezone.now()

    assert outcome == "rescheduled"
    returned = only(lines(submission), "returned_to_queue")
    assert returned.levelno == logging.INFO
    assert "seconds away" in returned.getMessage()
    # The line tells when the submission comes back, as it was stored.
    submission.refresh_from_db()
    assert datetime.fromisoformat(returned.until) == submission.next_attempt_at
    # The delay is the wait for the free slot, seen from when it was asked
    # for; the database's clock counts in milliseconds on SQLite.
    asked_earliest = (free_slot - finished).total_seconds()
    asked_latest = (free_slot - started).total_seconds()
    assert asked_earliest - 0.002 <= returned.delay_seconds <= asked_latest + 0.002
    # The submission comes back after that wait, counted from its release.
    waited = timedelta(seconds=returned.delay_seconds)
    assert started + waited <= submission.next_attempt_at <= finished + waited


def test_a_pause_and_its_end_are_logged_with_the_submission(staff, pdf_upload, lines):
    refused = create(staff, pdf_upload, "flaky-ram-293483938849493")
    drain()
    held = create(staff, pdf_upload, "111111111")
    drain()

    pipeline_resume(actor=None, reason="Permission granted in RAM.")
    drain()

    assert events(lines(refused))[:6] == [
        "created",
        "claimed",
        "authorization_fetched",
        "uploaded",
        "paused",
        "waiting_for_pause",
    ]
    assert only(lines(refused), "paused").levelno == logging.ERROR
    assert only(lines(refused), "paused").code == "Ram.PermissionDeny"
    assert events(lines(held))[:2] == ["created", "held_for_pause"]
    for submission in (refused, held):
        assert "resumed" in events(lines(submission))
        assert events(lines(submission))[-1] == "accepted"


def test_recovery_from_a_stopped_worker_is_logged(staff, pdf_upload, lines):
    submission = create(staff, pdf_upload)
    Submission.objects.filter(pk=submission.pk).update(
        status=Submission.Status.PROCESSING,
        attempts=1,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )

    submissions_recover()

    recovered = only(lines(submission), "recovered")
    assert recovered.levelno == logging.WARNING
    assert recovered.outcome == "queued again"
    assert f"submission={submission.pk}" in recovered.getMessage()
