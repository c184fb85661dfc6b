"""Failures end where they should: retried, failed for a reason, or paused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from onboarding.models import ApiCall, PipelineState, Submission
from onboarding.services import pipeline_resume, submission_process
from tests.pipeline.conftest import drain
from tests.pipeline.test_happy_path import create

pytestmark = pytest.mark.django_db

Status = Submission.Status


def outcomes(submission, action="SubmitIsvCustomerTerms") -> list[str]:
    return list(
        submission.api_calls.filter(action=action)
        .order_by("started_at")
        .values_list("outcome", flat=True)
    )


@pytest.mark.parametrize(
    "kind,code",
    [("owner", "Unknown.ResourceOwnerId"), ("http200", "Unknown.ResourceOwnerId")],
)
def test_wrong_data_fails_at_once_for_the_submitter(staff, pdf_upload, kind, code):
    submission = create(staff, pdf_upload, f"fail-{kind}-293483938849493")

    drain()

    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.attempts == 1
    assert submission.last_error_code == code
    assert submission.fixable_by == "submitter"
    assert "does not belong to this ISV account" in submission.failure_reason
    assert outcomes(submission) == ["submitter"]


@pytest.mark.parametrize("kind", ["limit", "throttle", "500", "503"])
def test_a_passing_failure_is_retried_until_it_succeeds(staff, pdf_upload, kind):
    submission = create(staff, pdf_upload, f"flaky2-{kind}-293483938849493")

    drain()

    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    assert submission.attempts == 3
    assert outcomes(submission) == ["retryable", "retryable", "ok"]
    # The agreement went up once; retries reuse it.
    assert submission.api_calls.filter(action="OSS:PutObject").count() == 1


def test_a_submit_that_timed_out_is_retried_and_its_record_says_unknown(
    staff, pdf_upload
):
    submission = create(staff, pdf_upload, "flaky-slow-293483938849493")

    drain()

    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    assert outcomes(submission) == ["unknown_outcome", "ok"]
    first = submission.api_calls.filter(action="SubmitIsvCustomerTerms").earliest(
        "started_at"
    )
    assert first.code == "ReadTimeout"


def test_an_expired_upload_token_gets_new_credentials(staff, pdf_upload):
    submission = create(staff, pdf_upload, "flaky-expiredtoken-293483938849493")

    drain()

    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    assert outcomes(submission, "GetChatappUploadAuthorization") == ["ok", "ok"]
    assert outcomes(submission, "OSS:PutObject") == ["retryable", "ok"]


def test_retries_end_with_retries_exhausted(staff, pdf_upload, settings):
    settings.CHATAPP_MAX_ATTEMPTS = 3
    submission = create(staff, pdf_upload, "fail-503-293483938849493")

    drain()

    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.attempts == 3
    assert submission.fixable_by == "support"
    assert submission.failure_reason.startswith("Retries exhausted")
    assert outcomes(submission) == ["retryable"] * 3


def test_authorizations_are_reused_for_the_same_space_id(staff, pdf_upload, sandbox):
    create(staff, pdf_upload)
    create(staff, pdf_upload)

    drain()

    assert len(sandbox.calls("GetChatappUploadAuthorization")) == 1
    assert len(sandbox.calls("SubmitIsvCustomerTerms")) == 2


def test_an_account_refusal_pauses_everything(staff, pdf_upload, sandbox):
    refused = create(staff, pdf_upload, "fail-ram-293483938849493")
    drain()
    waiting = create(staff, pdf_upload, "111111111")
    drain()

    refused.refresh_from_db()
    waiting.refresh_from_db()
    state = PipelineState.current()
    assert state.paused
    assert state.error_code == "Ram.PermissionDeny"
    assert refused.status == Status.RETRYING
    assert refused.next_attempt_at >= state.cool_off_until - timedelta(seconds=1)
    assert "Processing is paused" in refused.failure_reason
    assert waiting.status == Status.QUEUED
    assert not waiting.api_calls.exists()
    assert len(sandbox.calls("SubmitIsvCustomerTerms")) == 1


def test_support_lifts_the_pause_and_the_backlog_goes_through(staff, pdf_upload):
    create(staff, pdf_upload, "flaky-ram-293483938849493")
    drain()
    waiting = create(staff, pdf_upload, "111111111")
    drain()

    queued = pipeline_resume(actor=None, reason="Permission granted in RAM.")
    drain()

    assert queued == 2
    assert not PipelineState.current().paused
    assert set(Submission.objects.values_list("status", flat=True)) == {Status.ACCEPTED}
    waiting.refresh_from_db()
    assert waiting.attempts == 1


def test_after_the_cool_off_one_trial_tests_the_account(staff, pdf_upload, settings):
    first = create(staff, pdf_upload, "flaky-ram-293483938849493")
    drain()
    others = [create(staff, pdf_upload, f"22222222{n}") for n in range(2)]
    PipelineState.objects.filter(pk=1).update(
        cool_off_until=timezone.now() - timedelta(seconds=1)
    )
    Submission.objects.update(next_attempt_at=timezone.now())

    submission_process(submission_id=first.pk)

    assert not PipelineState.current().paused
    first.refresh_from_db()
    assert first.status == Status.ACCEPTED
    drain()
    for other in others:
        other.refresh_from_db()
        assert other.status == Status.ACCEPTED


def test_a_trial_refused_again_waits_another_cool_off(staff, pdf_upload):
    first = create(staff, pdf_upload, "fail-ram-293483938849493")
    drain()
    PipelineState.objects.filter(pk=1).update(
        cool_off_until=timezone.now() - timedelta(seconds=1)
    )
    Submission.objects.update(next_attempt_at=timezone.now())

    submission_process(submission_id=first.pk)

    state = PipelineState.current()
    assert state.paused
    assert state.cool_off_until > timezone.now() + timedelta(minutes=10)
    assert state.trial_submission_id is None


def test_calls_never_stay_pending(staff, pdf_upload):
    for kind in ("owner", "503", "slow", "drop"):
        create(staff, pdf_upload, f"flaky-{kind}-29348393884949{len(kind)}")

    drain()

    assert not ApiCall.objects.filter(outcome="pending").exists()


def test_a_trial_without_a_verdict_keeps_the_pause(staff, pdf_upload):
    first = create(staff, pdf_upload, "flaky-ram-293483938849493")
    drain()
    # The account is fine again, but the trial meets a passing server error.
    Submission.objects.filter(pk=first.pk).update(
        cust_space_id="flaky-503-293483938849493", next_attempt_at=timezone.now()
    )
    PipelineState.objects.filter(pk=1).update(
        cool_off_until=timezone.now() - timedelta(seconds=1)
    )

    outcome = submission_process(submission_id=str(first.pk))

    state = PipelineState.current()
    assert outcome == "retrying"
    assert state.paused
    assert state.trial_submission_id is None


def test_a_pause_does_not_use_up_attempts(staff, pdf_upload):
    submission = create(staff, pdf_upload, "fail-ram-293483938849493")

    drain()

    submission.refresh_from_db()
    assert submission.attempts == 0
    assert submission.status == Status.RETRYING


def test_no_sts_secret_reaches_the_database_or_the_logs(
    staff, pdf_upload, sandbox, caplog
):
    import logging

    from django.core import serializers

    from onboarding.models import ApiCall

    caplog.set_level(logging.DEBUG)
    for space_id in ("293483938849493", "flaky-expiredtoken-1", "flaky-503-2"):
        create(staff, pdf_upload, space_id)

    drain()

    secrets = [
        value
        for credential in sandbox.credentials._credentials.values()
        for value in (
            credential.access_key_id,
            credential.access_key_secret,
            credential.security_token,
        )
    ]
    assert len(secrets) >= 9
    dump = serializers.serialize(
        "json", [*ApiCall.objects.all(), *Submission.objects.all()]
    )
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets:
        assert secret not in dump
        assert secret not in logs
