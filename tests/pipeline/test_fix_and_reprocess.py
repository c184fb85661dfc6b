"""Failed submissions come back: fixed by their submitter, or sent again."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from onboarding.models import Submission, SubmissionEvent
from onboarding.services import (
    NotReprocessable,
    submission_reprocess,
    submissions_reprocess,
)
from onboarding.services.scheduling import enqueue_processing_of
from tests import documents
from tests.pipeline.conftest import drain
from tests.pipeline.test_happy_path import create

pytestmark = pytest.mark.django_db

Status = Submission.Status


def failed_for_submitter(staff, pdf_upload):
    submission = create(staff, pdf_upload, "fail-owner-293483938849493")
    drain()
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    return submission


def fix_data(submission, **changes) -> dict:
    data = {
        "cust_space_id": submission.cust_space_id,
        "company_name": submission.company_name,
        "office_address": submission.office_address,
        "contact_email": submission.contact_email,
        "country": submission.country.code,
        "business_description": submission.business_description,
    }
    data.update(changes)
    return data


def test_the_page_offers_fix_and_resubmit_with_the_reason(
    staff_client, staff, pdf_upload
):
    submission = failed_for_submitter(staff, pdf_upload)

    page = staff_client.get(submission.get_absolute_url()).content.decode()

    assert "does not belong to this ISV account" in page
    assert reverse("onboarding:submission_fix", args=[submission.pk]) in page
    assert "Who can fix it: The submitter." in page


def test_fixing_the_space_id_resubmits_and_keeps_the_history(
    staff_client, staff, pdf_upload
):
    submission = failed_for_submitter(staff, pdf_upload)
    url = reverse("onboarding:submission_fix", args=[submission.pk])

    response = staff_client.post(url, fix_data(submission, cust_space_id="333333333"))
    drain()

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    assert submission.cust_space_id == "333333333"
    assert submission.api_calls.filter(outcome="submitter").count() == 1
    assert submission.api_calls.filter(outcome="ok").exists()
    assert submission.events.get().kind == "resubmitted"


def test_a_replaced_agreement_is_uploaded_anew(
    staff_client,
    staff,
    pdf_upload,
    sandbox,
    private_media_root,
    django_capture_on_commit_callbacks,
):
    submission = failed_for_submitter(staff, pdf_upload)
    old_file = private_media_root / submission.agreement.name
    new_pdf = documents.minimal_pdf("Corrected agreement")
    url = reverse("onboarding:submission_fix", args=[submission.pk])

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            url,
            {
                **fix_data(submission, cust_space_id="444444444"),
                "agreement": pdf_upload("corrected.pdf", new_pdf),
            },
        )
    drain()

    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    assert submission.agreement_name == "corrected.pdf"
    assert submission.agreement_sha256 == documents.sha256(new_pdf)
    assert sandbox.objects.read("chatapp-sandbox", submission.oss_key) == new_pdf
    assert not old_file.exists()


def test_a_rejected_fix_changes_nothing(staff_client, staff, pdf_upload):
    submission = failed_for_submitter(staff, pdf_upload)
    url = reverse("onboarding:submission_fix", args=[submission.pk])

    response = staff_client.post(url, fix_data(submission, contact_email="nope"))

    assert response.status_code == 200
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
    assert submission.contact_email == "legal@nusantara-kopi.example"


def test_only_a_submitter_fixable_failure_can_be_fixed(
    staff_client, staff, pdf_upload, make_submission
):
    accepted = make_submission(status=Status.ACCEPTED)

    response = staff_client.get(
        reverse("onboarding:submission_fix", args=[accepted.pk])
    )

    assert response.status_code == 302
    assert response["Location"] == accepted.get_absolute_url()


def test_another_users_submission_cannot_be_fixed(
    client, other_staff, staff, pdf_upload
):
    submission = failed_for_submitter(staff, pdf_upload)
    client.force_login(other_staff)

    url = reverse("onboarding:submission_fix", args=[submission.pk])

    assert client.get(url).status_code == 404


def test_reprocessing_a_failed_submission_queues_it_again(staff, pdf_upload, settings):
    settings.CHATAPP_MAX_ATTEMPTS = 1
    submission = create(staff, pdf_upload, "flaky-503-293483938849493")
    drain()
    submission.refresh_from_db()
    assert submission.status == Status.FAILED

    submission_reprocess(submission=submission, actor=staff, reason="Sandbox fixed")
    drain()

    submission.refresh_from_db()
    assert submission.status == Status.ACCEPTED
    event = submission.events.get()
    assert (event.kind, event.actor, event.message) == (
        "reprocessed",
        staff,
        "Sandbox fixed",
    )


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.PROCESSING, Status.QUEUED])
def test_reprocessing_anything_but_a_failure_is_refused(make_submission, status):
    submission = make_submission(status=status)

    with pytest.raises(NotReprocessable) as refused:
        submission_reprocess(submission=submission, actor=None)

    assert str(refused.value)
    submission.refresh_from_db()
    assert submission.status == status
    assert not SubmissionEvent.objects.exists()


def waiting_tasks() -> list[str]:
    from django_tasks_db.models import DBTaskResult

    return sorted(task.args_kwargs["args"][0] for task in DBTaskResult.objects.all())


def test_reprocessing_many_queues_each_failure_once_across_batches(
    make_submission, support, monkeypatch
):
    monkeypatch.setattr("onboarding.services.submissions.REPROCESS_BATCH", 2)
    failed = [make_submission(status=Status.FAILED) for _ in range(5)]
    make_submission(status=Status.ACCEPTED)

    queued, refused = submissions_reprocess(
        submissions=Submission.objects.all(), actor=support, reason="Keys rotated"
    )

    assert (queued, refused) == (5, 0)
    assert set(Submission.objects.values_list("status", flat=True)) == {
        Status.QUEUED,
        Status.ACCEPTED,
    }
    assert waiting_tasks() == sorted(str(submission.pk) for submission in failed)
    events = SubmissionEvent.objects.all()
    assert sorted(event.submission_id for event in events) == sorted(
        submission.pk for submission in failed
    )
    assert {(event.actor, event.message) for event in events} == {
        (support, "Keys rotated")
    }


def test_a_batch_that_fails_leaves_the_batches_before_it_queued(
    make_submission, monkeypatch
):
    monkeypatch.setattr("onboarding.services.submissions.REPROCESS_BATCH", 2)
    for _ in range(4):
        make_submission(status=Status.FAILED)
    batches = []

    def enqueue_until_the_second_batch(submission_ids):
        batches.append(submission_ids)
        if len(batches) == 2:
            raise ConnectionError("the database went away")
        enqueue_processing_of(submission_ids)

    monkeypatch.setattr(
        "onboarding.services.submissions.enqueue_processing_of",
        enqueue_until_the_second_batch,
    )

    with pytest.raises(ConnectionError):
        submissions_reprocess(submissions=Submission.objects.all(), actor=None)

    # The first batch is queued with its tasks and events; the second, rolled
    # back whole, is still failed, as a second try would find it.
    first, second = batches
    assert set(Submission.objects.filter(status=Status.QUEUED)) == set(
        Submission.objects.filter(pk__in=first)
    )
    assert Submission.objects.filter(pk__in=second, status=Status.FAILED).count() == 2
    assert waiting_tasks() == sorted(str(pk) for pk in first)
    assert SubmissionEvent.objects.count() == 2


def test_the_command_reprocesses_by_filter_and_reports_counts(
    make_submission, other_staff
):
    old = timezone.now() - timedelta(days=10)
    match = make_submission(status=Status.FAILED, last_error_code="InternalError")
    make_submission(status=Status.FAILED, last_error_code="Ram.PermissionDeny")
    make_submission(
        status=Status.FAILED, last_error_code="InternalError", created_at=old
    )
    make_submission(
        status=Status.FAILED, last_error_code="InternalError", submitted_by=other_staff
    )
    out = io.StringIO()

    call_command(
        "reprocess_submissions",
        "--error-code",
        "InternalError",
        "--since",
        (timezone.now() - timedelta(days=1)).date().isoformat(),
        "--submitter",
        "amira",
        stdout=out,
    )

    match.refresh_from_db()
    assert match.status == Status.QUEUED
    assert Submission.objects.filter(status=Status.QUEUED).count() == 1
    assert out.getvalue().strip().endswith("1 queued")


def test_the_command_dry_run_changes_nothing(make_submission):
    make_submission(status=Status.FAILED)
    out = io.StringIO()

    call_command("reprocess_submissions", "--dry-run", stdout=out)

    assert "1 would queue" in out.getvalue()
    assert Submission.objects.get().status == Status.FAILED


def test_the_command_lists_accepted_ones_as_refused(make_submission):
    make_submission(status=Status.ACCEPTED)
    out = io.StringIO()

    call_command("reprocess_submissions", "--status", "accepted", stdout=out)

    assert "only failed ones are sent again" in out.getvalue()
    assert "1 refused" in out.getvalue()


def test_the_command_filters_by_end_date(make_submission):
    old = timezone.now() - timedelta(days=10)
    make_submission(status=Status.FAILED, created_at=old)
    make_submission(status=Status.FAILED)
    out = io.StringIO()

    call_command(
        "reprocess_submissions",
        "--until",
        (timezone.now() - timedelta(days=5)).date().isoformat(),
        stdout=out,
    )

    assert Submission.objects.filter(status=Status.QUEUED).count() == 1
    assert Submission.objects.get(status=Status.QUEUED).created_at == old


def test_send_again_leads_a_submitter_fixable_failure_to_the_fix(
    staff_client, staff, pdf_upload
):
    submission = failed_for_submitter(staff, pdf_upload)

    response = staff_client.post(
        reverse("onboarding:submission_send_again", args=[submission.pk])
    )

    assert response["Location"] == reverse(
        "onboarding:submission_fix", args=[submission.pk]
    )
    submission.refresh_from_db()
    assert submission.status == Status.FAILED
