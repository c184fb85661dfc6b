"""Every page goes out over HTTPS with headers that keep browsers strict."""

import re
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from onboarding.models import FixableBy, Submission
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db

PROJECT_ROOT = Path(__file__).resolve().parents[2]

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


@pytest.fixture
def https_only(settings):
    settings.SECURE_SSL_REDIRECT = True


def test_plain_http_is_sent_to_https(client, https_only):
    response = client.get(reverse("login"))

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/accounts/login/"


def test_the_health_check_answers_over_plain_http(client, https_only):
    response = client.get("/healthz")

    assert response.status_code == 200


def test_pages_carry_the_content_security_policy(client, https_only):
    response = client.get(reverse("login"), secure=True)

    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_POLICY


def test_pages_refuse_framing_sniffing_and_outside_referrers(client, https_only):
    response = client.get(reverse("login"), secure=True)

    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_browsers_are_told_to_keep_to_https_for_a_year(client, https_only):
    response = client.get(reverse("login"), secure=True)

    assert response["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains; preload"
    )


def test_cookies_travel_over_https_only(client, staff, https_only):
    client.get(reverse("login"), secure=True)
    response = client.post(
        reverse("login"),
        {"username": "amira", "password": STAFF_PASSWORD},
        secure=True,
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert client.cookies["csrftoken"]["secure"] is True


def test_the_agreement_download_keeps_its_own_policy(staff_client, make_submission):
    submission = make_submission()

    response = staff_client.get(
        reverse("onboarding:agreement_download", args=[submission.pk])
    )

    assert response.status_code == 200
    # The PDF is opened with scripts and plug-ins off; the pages' policy must
    # neither replace that nor be added beside it.
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Frame-Options"] == "DENY"


def test_the_lockout_page_carries_the_policy_too(client, staff):
    for _ in range(5):
        response = client.post(
            reverse("login"), {"username": "amira", "password": "wrong"}
        )

    assert response.status_code == 429
    assert policy_of(response) == EXPECTED_POLICY


# What the policy would block: inline script and style, event handler
# attributes, javascript: links. None of the portal's pages may carry any.

INLINE_CODE = [
    re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
    re.compile(r"<style\b"),
    re.compile(r"\sstyle\s*="),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]


def inline_code(html: str) -> list[str]:
    return [match.group(0) for rule in INLINE_CODE for match in rule.finditer(html)]


def test_no_template_carries_inline_code():
    found = {
        str(path.relative_to(PROJECT_ROOT)): inline_code(path.read_text())
        for path in (PROJECT_ROOT / "templates").rglob("*.html")
    }

    assert {path: code for path, code in found.items() if code} == {}


@pytest.fixture
def review_data(staff, make_submission):
    """A submission in each state that draws something different."""
    fixable = make_submission(
        company_name="Needs Fixing PT",
        status=Submission.Status.FAILED,
        fixable_by=FixableBy.SUBMITTER,
        failure_reason="The space ID is not yours.",
        last_error_code="Unknown.ResourceOwnerId",
    )
    make_submission(company_name="Accepted PT", status=Submission.Status.ACCEPTED)
    make_submission(company_name="Waiting PT", status=Submission.Status.RETRYING)
    return fixable


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_portals_pages_carry_no_inline_code(staff, review_data):
    client = signed_in(staff)
    pages = [
        reverse("onboarding:submission_list"),
        reverse("onboarding:submission_create"),
        reverse("onboarding:submission_detail", args=[review_data.pk]),
        reverse("onboarding:submission_live", args=[review_data.pk]),
        reverse("onboarding:submission_fix", args=[review_data.pk]),
        reverse("password_change"),
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


def test_a_rejected_form_carries_no_inline_code(staff):
    response = signed_in(staff).post(
        reverse("onboarding:submission_create"),
        {"form_token": str(uuid.uuid4()), "contact_email": "not an address"},
    )

    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []


def test_the_sign_in_pages_carry_no_inline_code(client):
    for url in (reverse("login"), reverse("password_reset"), reverse("admin:login")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url


def test_the_admin_pages_carry_no_inline_code(administrator, staff, review_data):
    client = signed_in(administrator)
    pages = [
        reverse("admin:index"),
        reverse("admin:onboarding_submission_changelist"),
        reverse("admin:onboarding_submission_changelist") + "?status__exact=failed",
        reverse("admin:onboarding_submission_change", args=[review_data.pk]),
        reverse("admin:onboarding_submission_reprocess", args=[review_data.pk]),
        reverse("admin:onboarding_submission_delete", args=[review_data.pk]),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[staff.pk]),
        reverse("admin:auth_group_add"),
        reverse("admin:axes_accessattempt_changelist"),
    ]

    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response.content.decode()) == [], url
