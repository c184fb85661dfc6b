import pytest
from django.urls import reverse

from tests import documents

pytestmark = pytest.mark.django_db


def download_url(submission) -> str:
    return reverse("onboarding:agreement_download", args=[submission.pk])


def test_the_submitter_downloads_the_agreement_as_an_attachment(
    staff_client, make_submission
):
    submission = make_submission(agreement_name="Nusantara terms.pdf")

    response = staff_client.get(download_url(submission))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == documents.minimal_pdf()
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="Nusantara terms.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert "no-store" in response["Cache-Control"]


def test_a_file_missing_from_storage_is_not_found(staff_client, make_submission):
    submission = make_submission()
    submission.agreement.storage.delete(submission.agreement.name)

    assert staff_client.get(download_url(submission)).status_code == 404


def test_stored_agreements_are_not_served_from_any_public_address(
    staff_client, make_submission
):
    submission = make_submission()
    name = submission.agreement.name

    for url in (f"/media/{name}", f"/{name}", f"/static/{name}"):
        assert staff_client.get(url).status_code == 404, url
