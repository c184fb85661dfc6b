"""Hostile agreement files posted through the real form: each is refused with
its own reason next to the file field, and nothing is stored or queued."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from onboarding.models import Submission
from tests import documents
from tests.conftest import valid_form_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("onboarding:submission_create")
LIMIT = 2 * 1024 * 1024

UPLOADS = [
    *documents.HOSTILE_FILES,
    documents.HostileFile("empty", lambda: b"", "empty", "The submitted file is empty"),
    # The limit is named; the wording is the upload handler's or the form's,
    # whichever stops the file first.
    documents.HostileFile(
        "one-byte-over",
        lambda: documents.padded_pdf(LIMIT + 1),
        "too_large",
        "2.0\xa0MB",
    ),
]


def post_agreement(client, content: bytes):
    upload = SimpleUploadedFile("agreement.pdf", content, "application/pdf")
    return client.post(CREATE_URL, valid_form_data(agreement=upload))


def files_in(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.parametrize("hostile", UPLOADS, ids=[upload.label for upload in UPLOADS])
def test_a_hostile_upload_is_refused_with_its_reason_and_leaves_nothing(
    staff_client, private_media_root, settings, hostile
):
    assert settings.AGREEMENT_MAX_BYTES == LIMIT

    response = post_agreement(staff_client, hostile.build())

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()
    assert list(errors) == ["agreement"]
    [error] = errors["agreement"]
    [message] = error.messages
    assert error.code == hostile.code
    assert hostile.says in message
    assert escape(message) in response.content.decode()
    assert not Submission.objects.exists()
    assert files_in(private_media_root) == []
    assert not DBTaskResult.objects.exists()


def test_a_clean_upload_on_the_same_path_is_stored_and_queued(
    staff_client, private_media_root
):
    # The counterpart of the refusals: the checks above would pass vacuously
    # if nothing were ever stored or queued.
    content = documents.written_by_pypdf()

    response = post_agreement(staff_client, content)

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert [path.read_bytes() for path in files_in(private_media_root)] == [content]
    assert DBTaskResult.objects.get().args_kwargs["args"] == [str(submission.pk)]
