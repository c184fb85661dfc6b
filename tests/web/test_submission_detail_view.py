import pytest
from django.urls import reverse

from onboarding.models import Submission

pytestmark = pytest.mark.django_db


def test_it_shows_every_field_and_the_status_in_plain_words(
    staff_client, make_submission
):
    submission = make_submission(
        office_address="Jl. Sudirman 1, Jakarta",
        business_description="Order updates\nand support",
    )

    page = staff_client.get(submission.get_absolute_url()).content.decode()

    for text in (
        "293483938849493",
        "Nusantara Kopi PT",
        "Jl. Sudirman 1, Jakarta",
        "legal@nusantara-kopi.example",
        "Indonesia (ID)",
        "Order updates<br>and support",
        "agreement.pdf",
        submission.agreement_sha256,
        "waiting its turn to be sent to Alibaba Cloud",
    ):
        assert text in page, text
    assert reverse("onboarding:agreement_download", args=[submission.pk]) in page
    assert 'id="history"' in page


def test_it_escapes_what_staff_typed(staff_client, make_submission):
    submission = make_submission(company_name="<script>alert(1)</script>")

    page = staff_client.get(submission.get_absolute_url()).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.parametrize(
    "status,words",
    [
        (Submission.Status.PROCESSING, "Being sent to Alibaba Cloud"),
        (Submission.Status.ACCEPTED, "Alibaba Cloud accepted the customer"),
        (Submission.Status.FAILED, "could not be registered"),
    ],
)
def test_each_status_is_explained(staff_client, make_submission, status, words):
    submission = make_submission(status=status)

    assert words in staff_client.get(submission.get_absolute_url()).content.decode()
