"""Who may open which page: signed-in staff see only their own submissions."""

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def page_urls(submission) -> list[str]:
    return [
        reverse("onboarding:submission_list"),
        reverse("onboarding:submission_create"),
        reverse("onboarding:submission_detail", args=[submission.pk]),
        reverse("onboarding:agreement_download", args=[submission.pk]),
        reverse("password_change"),
        "/",
    ]


def test_every_page_sends_an_anonymous_visitor_to_sign_in(client, make_submission):
    submission = make_submission()

    for url in page_urls(submission):
        response = client.get(url)

        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_the_sign_in_page_is_open_to_everyone(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert b'name="username"' in response.content


def test_another_staff_members_submission_is_not_found(
    client, other_staff, make_submission
):
    submission = make_submission()
    client.force_login(other_staff)

    for name in ("submission_detail", "agreement_download"):
        url = reverse(f"onboarding:{name}", args=[submission.pk])
        assert client.get(url).status_code == 404, name


def test_an_unknown_submission_is_not_found(staff_client):
    url = reverse("onboarding:submission_detail", args=[uuid.uuid4()])

    assert staff_client.get(url).status_code == 404


def test_submission_urls_use_a_random_id_rather_than_a_counter(make_submission):
    first, second = make_submission(), make_submission()

    assert isinstance(first.pk, uuid.UUID)
    assert first.pk.version == 4
    assert str(first.pk) in first.get_absolute_url()
    assert first.pk != second.pk


def test_an_inactive_account_cannot_sign_in(client, staff):
    staff.is_active = False
    staff.save()

    response = client.post(
        reverse("login"),
        {"username": "amira", "password": "correct-horse-battery-staple"},
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
