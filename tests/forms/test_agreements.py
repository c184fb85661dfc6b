import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from onboarding.agreements import clean_file_name, inspect_agreement
from tests import documents


def test_it_reports_name_size_and_sha256():
    content = documents.minimal_pdf()
    upload = SimpleUploadedFile("agreement.pdf", content)

    info = inspect_agreement(upload, max_bytes=10_000)

    assert (info.name, info.size, info.sha256) == (
        "agreement.pdf",
        len(content),
        documents.sha256(content),
    )
    assert upload.tell() == 0


def test_it_refuses_an_empty_file_given_directly():
    # The form refuses empty uploads itself; the service relies on this check.
    with pytest.raises(ValidationError) as refused:
        inspect_agreement(SimpleUploadedFile("a.pdf", b""), max_bytes=10_000)

    assert refused.value.code == "empty"


@pytest.mark.parametrize(
    "raw,clean",
    [
        ("C:\\Users\\amira\\signed.pdf", "signed.pdf"),
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("terms\u202efdp.exe.pdf", "termsfdp.exe.pdf"),
        ("tab\there.pdf", "tabhere.pdf"),
        ("line\u2028break\u2029.pdf", "linebreak.pdf"),
        ("  spaced.pdf  ", "spaced.pdf"),
    ],
)
def test_it_keeps_a_file_name_as_plain_data(raw, clean):
    assert clean_file_name(raw) == clean


def test_it_shortens_an_overlong_name_but_keeps_the_extension():
    cleaned = clean_file_name("a" * 300 + ".pdf")

    assert len(cleaned) == 255
    assert cleaned.endswith("a.pdf")
