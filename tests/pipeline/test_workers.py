"""Workers share the work safely and lose nothing when one dies."""

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from onboarding.models import ApiCall, Submission
from onboarding.services import submission_process, submissions_recover
from tests.pipeline.conftest import drain
from tests.pipeline.test_happy_path import create

Status = Submission.Status


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_one_submission_process_it_once(
    staff, pdf_upload, sandbox
):
    submission = create(staff, pdf_upload)
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def worker():
        try:
            start.wait()
            outcomes.append(submission_process(submission_id=submission.pk))
        except Exception as error:
            errors.append(error)
        finally:
            # Each thread has its own connection; leave none open behind.
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(outcomes) == ["accepted", "skipped"]
    submission.refresh_from_db()
    assert submission.attempts == 1
    assert len(sandbox.calls("SubmitIsvCustomerTerms")) == 1


@pytest.mark.django_db
def test_a_submission_held_by_a_dead_worker_is_picked_up_again(staff, pdf_upload):
    submission = create(staff, pdf_upload)
    # What a worker killed mid-submit leaves: processing, a call never answered.
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.PROCESSING,
        attempts=1,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    ApiCall.objects.create(
        submission=submission, attempt=1, action="SubmitIsvCustomerTerms"
    )

    counts = submissions_recover()
    drain()

    assert counts["stale"] == 1
    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    lost = submission.api_calls.filter(outcome="unknown_outcome").get()
    assert "worker stopped" in lost.message
    assert submission.events.get().kind == "recovered"


@pytest.mark.django_db
def test_a_submission_whose_task_was_lost_is_queued_again(staff, pdf_upload):
    from django_tasks_db.models import DBTaskResult

    submission = create(staff, pdf_upload)
    DBTaskResult.objects.all().delete()
    Submission.objects.filter(pk=submission.pk).update(
        last_enqueued_at=timezone.now() - timedelta(minutes=5)
    )

    counts = submissions_recover()
    drain()

    assert counts["requeued"] == 1
    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED


@pytest.mark.django_db
def test_a_live_lease_is_left_alone(staff, pdf_upload):
    submission = create(staff, pdf_upload)
    Submission.objects.filter(pk=submission.pk).update(
        status=Status.PROCESSING,
        lease_expires_at=timezone.now() + timedelta(minutes=1),
    )

    assert submissions_recover() == {"stale": 0, "requeued": 0}
    submission.refresh_from_db()
    assert submission.status == Status.PROCESSING


@pytest.mark.django_db
def test_a_worker_that_lost_its_hold_changes_nothing_more(
    staff, pdf_upload, sandbox, monkeypatch
):
    from onboarding.services import processing

    submission = create(staff, pdf_upload)
    real_upload = processing._upload

    def upload_then_lose_the_hold(submission, authorization):
        real_upload(submission, authorization)
        # Meanwhile recovery gave the submission to another worker.
        Submission.objects.filter(pk=submission.pk).update(claim=None)

    monkeypatch.setattr(processing, "_upload", upload_then_lose_the_hold)

    outcome = submission_process(submission_id=submission.pk)

    assert outcome == "lease lost"
    assert sandbox.calls("SubmitIsvCustomerTerms") == []
    submission.refresh_from_db()
    assert submission.status == Status.PROCESSING
