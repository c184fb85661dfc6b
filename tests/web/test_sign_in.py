import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db


def test_signing_in_lands_on_the_submissions_list(client, staff):
    response = client.post(
        reverse("login"), {"username": "amira", "password": STAFF_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:submission_list")


def test_signing_in_returns_to_the_page_that_asked_for_it(client, staff):
    create_url = reverse("onboarding:submission_create")

    response = client.post(
        f"{reverse('login')}?next={create_url}",
        {"username": "amira", "password": STAFF_PASSWORD, "next": create_url},
    )

    assert response["Location"] == create_url


def test_a_wrong_password_is_refused_with_a_message(client, staff):
    response = client.post(reverse("login"), {"username": "amira", "password": "wrong"})

    assert response.status_code == 200
    assert b"enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


def test_the_list_offers_a_new_submission(staff_client):
    response = staff_client.get(reverse("onboarding:submission_list"))

    assert reverse("onboarding:submission_create").encode() in response.content
    assert b"New submission" in response.content


def test_signing_out_needs_a_post_and_ends_the_session(staff_client):
    response = staff_client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in staff_client.session


def test_staff_can_change_their_password(client, staff):
    client.force_login(staff)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": STAFF_PASSWORD,
            "new_password1": "a-new-and-longer-passphrase",
            "new_password2": "a-new-and-longer-passphrase",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    staff.refresh_from_db()
    assert staff.check_password("a-new-and-longer-passphrase")


def test_a_post_without_csrf_token_is_refused(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)

    response = client.post(reverse("onboarding:submission_create"), {})

    assert response.status_code == 403


def test_a_forgotten_password_can_be_reset_by_email(client, staff, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": staff.email})

    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == [staff.email]
    assert "/accounts/reset/" in message.body
