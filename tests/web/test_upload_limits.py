"""Oversized and many-file uploads are refused while they are being read."""

import contextlib
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadhandler import FileUploadHandler
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from onboarding.models import Submission
from onboarding.uploads import TOO_LARGE, upload_refusal_message
from tests import documents
from tests.conftest import valid_form_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("onboarding:submission_create")
MB = 1024 * 1024
# How much Django's upload handlers read at a time.
CHUNK = FileUploadHandler.chunk_size


class MultipartBody:
    """A multipart form body produced as it is read, counting what was read.

    A 50 MB file is never held in memory by the test, and the count shows how
    much of it the portal read. Given a folder, each read also notes the
    largest file in it: how much of the upload was on disk at any moment.
    """

    def __init__(
        self,
        fields: dict,
        files: list[tuple[str, bytes, int]],
        *,
        watch: Path | None = None,
    ):
        self.boundary = uuid.uuid4().hex
        self.parts = []
        for name, value in fields.items():
            self.parts.append(
                self.header(f'name="{name}"') + str(value).encode() + b"\r\n"
            )
        for filename, head, size in files:
            disposition = f'name="agreement"; filename="{filename}"'
            self.parts.append(self.header(disposition, "application/pdf"))
            self.parts.append((head, size))
            self.parts.append(b"\r\n")
        self.parts.append(f"--{self.boundary}--\r\n".encode())
        self.length = sum(
            part[1] if isinstance(part, tuple) else len(part) for part in self.parts
        )
        self.read_so_far = 0
        self.pending = self.chunks()
        self.watch = watch
        self.largest_on_disk = 0

    def header(self, disposition: str, content_type: str | None = None) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def chunks(self):
        for part in self.parts:
            if isinstance(part, bytes):
                yield part
                continue
            head, size = part
            yield head
            left = size - len(head)
            while left:
                step = min(left, 64 * 1024)
                yield b"0" * step
                left -= step

    def read(self, size: int = -1) -> bytes:
        if self.watch:
            self.largest_on_disk = max(self.largest_on_disk, largest_file(self.watch))
        out = bytearray()
        for chunk in self.pending:
            out += chunk
            if 0 <= size <= len(out):
                break
        if 0 <= size < len(out):
            # Keep what was not asked for yet for the next read.
            rest = bytes(out[size:])
            out = out[:size]
            self.pending = self.prepend(rest, self.pending)
        self.read_so_far += len(out)
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)

    @staticmethod
    def prepend(first: bytes, rest):
        yield first
        yield from rest

    def post(self, client, url=CREATE_URL):
        return client.generic(
            "POST",
            url,
            CONTENT_TYPE=f"multipart/form-data; boundary={self.boundary}",
            CONTENT_LENGTH=str(self.length),
            **{"wsgi.input": self},
        )


def largest_file(folder: Path) -> int:
    sizes = [0]
    for path in folder.rglob("*"):
        # A file removed between listing and looking no longer counts.
        with contextlib.suppress(FileNotFoundError):
            sizes.append(path.stat().st_size)
    return max(sizes)


def nothing_left_behind(media_root, upload_dir) -> bool:
    stored = [path for path in media_root.rglob("*") if path.is_file()]
    spooled = [path for path in upload_dir.rglob("*") if path.is_file()]
    return (
        not stored
        and not spooled
        and not Submission.objects.exists()
        and not DBTaskResult.objects.exists()
    )


@pytest.fixture
def upload_dir(settings, tmp_path):
    """Where Django spools uploads larger than its in-memory threshold."""
    directory = tmp_path / "uploads"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    return directory


def test_a_50_mb_upload_is_refused_before_any_of_it_is_read(
    staff_client, private_media_root, upload_dir
):
    body = MultipartBody(
        valid_form_data(), [("agreement.pdf", documents.minimal_pdf(), 50 * MB)]
    )

    response = body.post(staff_client)

    assert response.status_code == 413
    page = response.content.decode()
    assert "Your browser sent 50.0\xa0MB; an agreement may be at most 2.0\xa0MB" in page
    assert f'href="{CREATE_URL}"' in page
    assert body.read_so_far == 0
    assert nothing_left_behind(private_media_root, upload_dir)


def test_a_file_past_the_limit_stops_being_stored_at_the_limit(
    staff_client, private_media_root, upload_dir, settings
):
    # As if the body's announced size let it through: the upload handler
    # still stops keeping the file at the first byte past the limit.
    settings.REQUEST_MAX_BYTES = 100 * MB
    body = MultipartBody(
        valid_form_data(company_name="Kept PT"),
        [("agreement.pdf", documents.minimal_pdf(), 50 * MB)],
        watch=upload_dir,
    )

    response = body.post(staff_client)

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["agreement"]
    assert [error.code for error in errors] == ["too_large"]
    assert "larger than 2.0\xa0MB" in errors[0].message
    assert 'value="Kept PT"' in response.content.decode()
    # The whole body was read, and the spooled file grew up to the limit but
    # never past it: each chunk is checked before it is written.
    assert body.read_so_far == body.length
    assert (
        settings.AGREEMENT_MAX_BYTES - 2 * CHUNK
        < body.largest_on_disk
        <= settings.AGREEMENT_MAX_BYTES
    )
    assert nothing_left_behind(private_media_root, upload_dir)


def test_a_file_one_byte_over_the_limit_gets_the_size_message(
    staff_client, private_media_root, upload_dir, settings
):
    body = MultipartBody(
        valid_form_data(),
        [("agreement.pdf", documents.minimal_pdf(), settings.AGREEMENT_MAX_BYTES + 1)],
    )

    response = body.post(staff_client)

    errors = response.context["form"].errors.as_data()["agreement"]
    assert [error.code for error in errors] == ["too_large"]
    # The upload handler's words, not the form's own check of a file that
    # arrived whole ("The file is 2.0 MB; the agreement may be at most ...").
    assert errors[0].message == upload_refusal_message(TOO_LARGE)
    assert "larger than 2.0\xa0MB, the most an agreement may be" in errors[0].message
    assert nothing_left_behind(private_media_root, upload_dir)


def test_a_file_exactly_at_the_limit_is_read_in_full(
    staff_client, private_media_root, upload_dir, settings
):
    size = settings.AGREEMENT_MAX_BYTES
    body = MultipartBody(
        valid_form_data(), [("agreement.pdf", documents.padded_pdf(size), size)]
    )
    body.parts[-3] = documents.padded_pdf(size)

    response = body.post(staff_client)

    assert response.status_code == 302
    assert Submission.objects.get().agreement_size == size


def test_two_files_in_one_request_are_refused_with_a_message(
    staff_client, private_media_root, upload_dir
):
    pdf = documents.minimal_pdf()
    body = MultipartBody(
        valid_form_data(),
        [("agreement.pdf", pdf, len(pdf)), ("second.pdf", pdf, len(pdf))],
    )

    response = body.post(staff_client)

    errors = response.context["form"].errors.as_data()["agreement"]
    assert [error.code for error in errors] == ["too_many_files"]
    assert "Only one file can be sent" in errors[0].message
    assert nothing_left_behind(private_media_root, upload_dir)


def test_a_correction_with_an_oversized_file_is_refused_too(
    staff_client, make_submission, private_media_root, upload_dir
):
    failed = make_submission(
        status=Submission.Status.FAILED, fixable_by="submitter", company_name="Old"
    )
    stored_before = sorted(private_media_root.rglob("*.pdf"))
    fix_url = reverse("onboarding:submission_fix", args=[failed.pk])
    body = MultipartBody(
        {key: value for key, value in valid_form_data().items() if key != "form_token"},
        [("agreement.pdf", documents.minimal_pdf(), 3 * MB)],
    )

    response = body.post(staff_client, fix_url)

    assert response.status_code == 413
    failed.refresh_from_db()
    assert failed.company_name == "Old"
    assert sorted(private_media_root.rglob("*.pdf")) == stored_before
