"""A file's name is data: it never decides where the file goes or how it reads."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onboarding.chatapp.naming import agreement_object_name
from onboarding.models import Submission
from tests import documents
from tests.conftest import valid_form_data

pytestmark = pytest.mark.django_db

HOSTILE_NAMES = {
    "path parts": ("../../../etc/cron.d/terms.pdf", "terms.pdf"),
    "windows path": ("..\\..\\Windows\\terms.pdf", "terms.pdf"),
    "nul": ("terms\x00.exe.pdf", "terms.exe.pdf"),
    "right-to-left override": ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),
    "markup": (
        '<img src=x onerror="alert(1)">.pdf',
        '<img src=x onerror="alert(1)">.pdf',
    ),
    "300 characters": ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
}


@pytest.mark.parametrize("raw,shown", HOSTILE_NAMES.values(), ids=HOSTILE_NAMES)
def test_a_hostile_file_name_is_kept_as_harmless_data(
    staff_client, private_media_root, raw, shown
):
    upload = SimpleUploadedFile(raw, documents.minimal_pdf(), "application/pdf")

    response = staff_client.post(
        reverse("onboarding:submission_create"),
        {**valid_form_data(), "agreement": upload},
    )

    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.agreement_name == shown

    # Stored under a random name inside the private storage, whatever it was.
    assert re.fullmatch(
        r"agreements/\d{4}/\d{2}/[0-9a-f]{32}\.pdf", submission.agreement.name
    )
    [stored] = [path for path in private_media_root.rglob("*") if path.is_file()]
    assert stored.resolve().is_relative_to(private_media_root.resolve())

    # The object name in OSS is made of safe characters only.
    key = agreement_object_name(submission.agreement_name, str(submission.pk))
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.pdf", key)

    # Shown escaped, and offered for download under a name with no path.
    page = staff_client.get(submission.get_absolute_url()).content.decode()
    assert "<img src=x" not in page
    if "<" in shown:
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.pdf" in page
    download = staff_client.get(
        reverse("onboarding:agreement_download", args=[submission.pk])
    )
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "../" not in disposition
    assert "..\\" not in disposition
    assert not any(ord(char) < 32 for char in disposition)
