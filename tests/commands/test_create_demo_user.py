import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from onboarding.management.commands.create_demo_user import (
    DEMO_PASSWORD,
    DEMO_USERNAME,
)

pytestmark = pytest.mark.django_db


def run() -> str:
    out = io.StringIO()
    call_command("create_demo_user", stdout=out)
    return out.getvalue()


def test_it_creates_an_active_account_and_prints_how_to_sign_in(settings):
    settings.DEBUG = True

    output = run()

    user = get_user_model().objects.get(username=DEMO_USERNAME)
    assert user.is_active
    assert not user.is_staff
    assert user.check_password(DEMO_PASSWORD)
    assert DEMO_USERNAME in output
    assert DEMO_PASSWORD in output


def test_running_it_again_resets_the_password(settings):
    settings.DEBUG = True
    run()
    user = get_user_model().objects.get(username=DEMO_USERNAME)
    user.set_password("changed-by-someone")
    user.save()

    assert "Reset" in run()
    user.refresh_from_db()
    assert user.check_password(DEMO_PASSWORD)
    assert get_user_model().objects.count() == 1


def test_it_refuses_outside_debug_mode(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DJANGO_DEBUG"):
        run()
    assert not get_user_model().objects.exists()
