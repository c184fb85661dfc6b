"""Wrong passwords lock a username out from one address for a while."""

from datetime import timedelta
from ipaddress import ip_network

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from tests.conftest import STAFF_PASSWORD
from tests.test_settings import run_python

pytestmark = pytest.mark.django_db

HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.23"
PROXY = "10.0.0.2"


def sign_in(client, username="amira", password=STAFF_PASSWORD, *, url=None, **meta):
    return client.post(
        url or reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=meta.pop("REMOTE_ADDR", HOME),
        **meta,
    )


def fail(client, times: int, username="amira", **meta) -> list[int]:
    return [
        sign_in(client, username, "wrong", **meta).status_code for _ in range(times)
    ]


def test_the_fifth_wrong_password_locks_the_username_out(client, staff):
    statuses = fail(client, 5)

    assert statuses == [200, 200, 200, 200, 429]


def test_a_locked_out_user_is_told_why_and_for_how_long(client, staff):
    fail(client, 5)

    response = sign_in(client)

    assert response.status_code == 429
    text = response.content.decode()
    assert 'id="sign-in-locked"' in text
    assert "paused for 15 minutes" in text
    assert reverse("password_reset") in text
    assert "_auth_user_id" not in client.session


def test_the_right_password_does_not_get_through_a_lockout(client, staff):
    fail(client, 5)

    response = sign_in(client)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_another_user_from_the_same_address_is_not_locked(client, staff, other_staff):
    fail(client, 5, "amira")

    response = sign_in(client, "bruno")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other_staff.pk)


def test_the_same_user_from_another_address_is_not_locked(client, staff):
    # Five failures lock the pair, far below the username's own limit.
    fail(client, 5)

    response = sign_in(client, REMOTE_ADDR=ELSEWHERE)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_forwarded_address_is_ignored_without_a_trusted_proxy(client, staff):
    # Each attempt claims another address; none of them is believed.
    statuses = [
        sign_in(
            client, password="wrong", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}"
        ).status_code
        for n in range(5)
    ]

    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def test_behind_a_trusted_proxy_each_client_is_locked_on_its_own(
    client, staff, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8")]

    locked = fail(client, 5, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=HOME)
    other_client = sign_in(client, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ELSEWHERE)

    assert locked[-1] == 429
    assert other_client.status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def test_a_trusted_proxy_does_not_vouch_for_what_the_client_prepended(
    client, staff, settings
):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8")]

    statuses = [
        sign_in(
            client,
            password="wrong",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {HOME}",
        ).status_code
        for n in range(5)
    ]

    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}


def test_a_malformed_forwarded_address_falls_back_to_the_peer(client, staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8")]

    sign_in(client, password="wrong", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="x")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


def test_the_admin_sign_in_is_throttled_too(client, administrator):
    admin_login = reverse("admin:login")

    statuses = fail(client, 5, "olga", url=admin_login)
    response = sign_in(client, "olga", url=admin_login)

    assert statuses == [200, 200, 200, 200, 429]
    assert response.status_code == 429
    assert 'id="sign-in-locked"' in response.content.decode()
    assert f'href="{admin_login}"' in response.content.decode()


def test_a_successful_sign_in_clears_the_count(client, staff):
    fail(client, 4)
    assert sign_in(client).status_code == 302
    client.logout()

    statuses = fail(client, 4)

    assert statuses == [200, 200, 200, 200]


def test_the_lock_lifts_once_the_wait_is_over(client, staff):
    fail(client, 5)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    response = sign_in(client)

    assert response.status_code == 302


def test_the_limit_and_the_wait_follow_the_settings(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.SIGN_IN_LOCKOUT_MINUTES = 1
    settings.AXES_COOLOFF_TIME = timedelta(minutes=1)

    statuses = fail(client, 2)
    response = sign_in(client)

    assert statuses == [200, 429]
    assert "paused for 1 minute." in response.content.decode()


def test_a_forwarded_address_from_an_unknown_peer_is_ignored(client, staff, settings):
    # Someone reaching the server past the proxies names their own address.
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXIES = [ip_network("10.0.0.0/8")]

    statuses = [
        sign_in(
            client,
            password="wrong",
            REMOTE_ADDR=ELSEWHERE,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        ).status_code
        for n in range(5)
    ]

    assert statuses[-1] == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        ELSEWHERE
    }


def test_an_address_failing_for_many_usernames_is_locked_as_a_whole(
    client, staff, settings
):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 10
    # Four wrong passwords each, one short of locking either username.
    spraying = fail(client, 4, username="guess0") + fail(client, 4, username="guess1")
    reaching_the_limit = fail(client, 2, username="guess2")

    right_password = sign_in(client)
    from_elsewhere = sign_in(client, REMOTE_ADDR=ELSEWHERE)

    assert 429 not in spraying
    assert reaching_the_limit == [200, 429]
    assert right_password.status_code == 429
    assert from_elsewhere.status_code == 302


def test_a_few_failures_from_a_shared_address_lock_nobody_else(client, staff, settings):
    settings.SIGN_IN_ADDRESS_FAILURE_LIMIT = 10
    for number in range(2):
        fail(client, 4, username=f"colleague{number}")

    assert sign_in(client).status_code == 302


def many_addresses(count: int) -> list[str]:
    return [f"198.18.{number // 250}.{number % 250 + 1}" for number in range(count)]


def test_a_username_failing_from_many_addresses_is_locked_everywhere(
    client, staff, other_staff, settings
):
    # Each address fails once, far from locking its pair, until the username's
    # failures from all of them reach its limit.
    limit = settings.SIGN_IN_USERNAME_FAILURE_LIMIT
    statuses = [
        sign_in(client, password="wrong", REMOTE_ADDR=address).status_code
        for address in many_addresses(limit)
    ]

    right_password = sign_in(client, REMOTE_ADDR=ELSEWHERE)
    someone_else = sign_in(client, "bruno", REMOTE_ADDR=ELSEWHERE)

    assert limit == 50
    assert statuses == [200] * (limit - 1) + [429]
    assert right_password.status_code == 429
    text = right_password.content.decode()
    assert 'id="sign-in-locked"' in text
    assert "paused for 15 minutes" in text
    assert someone_else.status_code == 302
    assert client.session["_auth_user_id"] == str(other_staff.pk)


def test_a_username_failing_elsewhere_is_locked_from_its_own_address_too(
    client, staff, settings
):
    settings.SIGN_IN_USERNAME_FAILURE_LIMIT = 8
    # Two failures from the person's own address, six from strangers'.
    at_home = fail(client, 2)
    elsewhere = [
        sign_in(client, password="wrong", REMOTE_ADDR=address).status_code
        for address in many_addresses(6)
    ]

    response = sign_in(client)

    assert at_home == [200, 200]
    assert elsewhere == [200] * 5 + [429]
    assert response.status_code == 429


def test_failures_older_than_the_wait_do_not_count_towards_the_username(
    client, staff, settings
):
    settings.SIGN_IN_USERNAME_FAILURE_LIMIT = 8
    for address in many_addresses(7):
        sign_in(client, password="wrong", REMOTE_ADDR=address)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )

    another = sign_in(client, password="wrong", REMOTE_ADDR=ELSEWHERE)
    right_password = sign_in(client)

    assert another.status_code == 200
    assert right_password.status_code == 302


def test_the_username_limit_comes_from_the_environment_and_stays_above_the_pair():
    read = run_python(
        "import portal.settings as s; print(s.SIGN_IN_USERNAME_FAILURE_LIMIT)",
        SIGN_IN_USERNAME_FAILURE_LIMIT="120",
    )
    too_low = run_python(
        "import portal.settings",
        SIGN_IN_FAILURE_LIMIT="5",
        SIGN_IN_USERNAME_FAILURE_LIMIT="3",
    )

    assert read.stdout.strip() == "120", read.stderr
    assert "SIGN_IN_USERNAME_FAILURE_LIMIT must be at least 5, not 3." in too_low.stderr
