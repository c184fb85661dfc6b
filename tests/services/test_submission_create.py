import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError

from onboarding import services
from onboarding.models import Submission
from onboarding.services import submissions
from tests import documents

pytestmark = pytest.mark.django_db


def create(user, pdf_upload, *, form_token=None, agreement=None):
    return services.submission_create(
        submitted_by=user,
        form_token=form_token or uuid.uuid4(),
        cust_space_id="293483938849493",
        company_name="Nusantara Kopi PT",
        office_address="Jl. Sudirman 1, Jakarta",
        contact_email="legal@nusantara-kopi.example",
        country="ID",
        business_description="Order updates.",
        agreement=agreement or pdf_upload(),
    )


def files_in(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()]


def test_it_stores_a_queued_submission_and_its_file(
    staff, pdf_upload, private_media_root
):
    submission, created = create(staff, pdf_upload)

    assert created
    assert submission.status == Submission.Status.QUEUED
    assert submission.agreement_sha256 == documents.sha256(documents.minimal_pdf())
    [stored] = files_in(private_media_root)
    assert stored.read_bytes() == documents.minimal_pdf()


def test_it_checks_the_agreement_itself_and_stores_nothing_bad(
    staff, pdf_upload, private_media_root
):
    with pytest.raises(ValidationError) as refused:
        create(staff, pdf_upload, agreement=pdf_upload("a.pdf", b"<html>"))

    assert refused.value.code == "not_pdf_content"
    assert not Submission.objects.exists()
    assert files_in(private_media_root) == []


def test_a_second_call_with_the_same_token_returns_the_first(
    staff, pdf_upload, private_media_root
):
    token = uuid.uuid4()

    first, first_created = create(staff, pdf_upload, form_token=token)
    second, second_created = create(staff, pdf_upload, form_token=token)

    assert (first_created, second_created) == (True, False)
    assert second.pk == first.pk
    assert len(files_in(private_media_root)) == 1


def test_losing_a_race_for_the_same_token_leaves_no_stray_file(
    staff, pdf_upload, private_media_root, monkeypatch
):
    token = uuid.uuid4()
    winner, _ = create(staff, pdf_upload, form_token=token)
    # Simulate the other request having checked for the token just before the
    # winner stored it: its first lookup misses, so it goes on to insert and
    # collides with the winner's row.
    real_lookup = submissions.submission_for_form_token
    lookups = []

    def lookup_missing_once(user, token):
        lookups.append(token)
        return None if len(lookups) == 1 else real_lookup(user, token)

    monkeypatch.setattr(submissions, "submission_for_form_token", lookup_missing_once)

    loser, created = create(staff, pdf_upload, form_token=token)

    assert len(lookups) == 2, "the insert must have collided"
    assert not created
    assert loser.pk == winner.pk
    assert Submission.objects.count() == 1
    assert len(files_in(private_media_root)) == 1


@pytest.mark.parametrize("error", [IntegrityError, OperationalError])
def test_a_failed_insert_removes_the_file_it_wrote(
    staff, pdf_upload, private_media_root, monkeypatch, error
):
    def refuse(*args, **kwargs):
        raise error("the database refused the row")

    monkeypatch.setattr(Submission, "save", refuse)

    with pytest.raises(error):
        create(staff, pdf_upload)

    assert files_in(private_media_root) == []


def test_processing_is_queued_in_the_same_transaction(staff, pdf_upload):
    from django_tasks_db.models import DBTaskResult

    submission, _ = create(staff, pdf_upload)

    [task] = DBTaskResult.objects.all()
    assert task.task_path == "onboarding.tasks.process_submission"
    assert task.args_kwargs["args"] == [str(submission.pk)]


def test_a_rolled_back_submission_leaves_no_task(staff, pdf_upload, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from onboarding.services import scheduling

    def enqueue_then_crash(submission_id, at=None):
        real_enqueue(submission_id, at=at)
        raise OperationalError("the process died after queueing")

    real_enqueue = scheduling.enqueue_processing
    monkeypatch.setattr(submissions, "enqueue_processing", enqueue_then_crash)

    with pytest.raises(OperationalError):
        create(staff, pdf_upload)

    assert not Submission.objects.exists()
    assert not DBTaskResult.objects.exists()
