import pytest
from django.urls import reverse

from onboarding.models import Submission

pytestmark = pytest.mark.django_db


def test_submissions_cannot_be_added_from_the_admin(administrator_client):
    response = administrator_client.get(reverse("admin:onboarding_submission_add"))

    assert response.status_code == 403


def test_the_agreement_cannot_be_replaced_from_the_admin(
    administrator_client, make_submission
):
    submission = make_submission()
    url = reverse("admin:onboarding_submission_change", args=[submission.pk])

    page = administrator_client.get(url).content.decode()

    assert page.count('name="agreement"') == 0


def test_deleting_a_submission_removes_its_agreement_file(
    administrator_client,
    make_submission,
    private_media_root,
    django_capture_on_commit_callbacks,
):
    submission = make_submission()
    stored = private_media_root / submission.agreement.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        administrator_client.post(
            reverse("admin:onboarding_submission_delete", args=[submission.pk]),
            {"post": "yes"},
        )

    assert not Submission.objects.exists()
    assert not stored.exists()
