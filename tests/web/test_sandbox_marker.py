import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_every_page_shows_the_sandbox_marker_in_sandbox_mode(
    client, staff_client, settings
):
    settings.CHATAPP_SANDBOX = True

    for page in (
        client.get(reverse("login")),
        staff_client.get(reverse("onboarding:submission_list")),
        staff_client.get(reverse("onboarding:submission_create")),
    ):
        assert 'id="sandbox-marker"' in page.content.decode()
        assert "never to Alibaba itself" in page.content.decode()


def test_no_marker_when_talking_to_alibaba_cloud(staff_client, settings):
    settings.CHATAPP_SANDBOX = False

    page = staff_client.get(reverse("onboarding:submission_list")).content.decode()

    assert "sandbox-marker" not in page
