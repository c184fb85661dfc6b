"""Submitters hear of outcomes that concern them; admins hear of a pause."""

import re
import socket

import pytest

from onboarding.models import Submission
from onboarding.services import notifications
from tests.pipeline.conftest import drain
from tests.pipeline.test_happy_path import create

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def process():
        with django_capture_on_commit_callbacks(execute=True):
            drain()

    return process


def test_the_submitter_hears_of_acceptance(
    staff, pdf_upload, mailoutbox, run, settings
):
    settings.PORTAL_BASE_URL = "https://terms.isv.example"
    submission = create(staff, pdf_upload)

    run()

    [mail] = mailoutbox
    assert mail.to == ["amira@isv.example"]
    assert mail.subject == "Accepted: the terms of Nusantara Kopi PT"
    assert f"https://terms.isv.example/submissions/{submission.pk}/" in mail.body


def test_the_submitter_hears_when_their_correction_is_needed(
    staff, pdf_upload, mailoutbox, run
):
    create(staff, pdf_upload, "fail-owner-293483938849493")

    run()

    [mail] = mailoutbox
    assert mail.subject.startswith("Action needed")
    assert "does not belong to this ISV account" in mail.body


def test_admins_hear_of_a_pause_and_the_submitter_does_not(
    staff, administrator, pdf_upload, mailoutbox, run, settings
):
    settings.ALERT_EMAILS = ["oncall@isv.example"]
    create(staff, pdf_upload, "fail-ram-293483938849493")

    run()

    [mail] = mailoutbox
    assert sorted(mail.to) == ["olga@isv.example", "oncall@isv.example"]
    assert "Ram.PermissionDeny" in mail.body
    assert "pipeline resume" in mail.body


def test_the_pause_emails_link_opens_the_submission_for_the_admins(
    staff, administrator, support, pdf_upload, mailoutbox, run, settings, client
):
    settings.PORTAL_BASE_URL = "https://terms.isv.example"
    submission = create(staff, pdf_upload, "fail-ram-293483938849493")

    run()

    [mail] = mailoutbox
    [link] = re.findall(r"https://terms\.isv\.example(/\S+)", mail.body)
    assert "Nusantara Kopi PT (space ID fail-ram-293483938849493)" in mail.body
    for reader in (administrator, support):
        client.force_login(reader)
        page = client.get(link)
        assert page.status_code == 200
        assert page.context["original"] == submission


def test_a_retry_sends_no_mail(staff, pdf_upload, mailoutbox, run):
    create(staff, pdf_upload, "flaky-503-293483938849493")

    run()

    assert [mail.subject for mail in mailoutbox] == [
        "Accepted: the terms of Nusantara Kopi PT"
    ]


def test_a_broken_mail_server_does_not_stop_processing(
    staff, pdf_upload, run, settings, caplog
):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port
    submission = create(staff, pdf_upload)

    run()

    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED
    assert "Could not send the accepted email" in caplog.text


def test_the_needs_your_action_email_goes_to_the_submitter_alone(
    staff,
    administrator,
    make_submission,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    # An admin and an alert address exist, as on the live site, to be left out.
    settings.ALERT_EMAILS = ["oncall@isv.example"]
    submission = make_submission(
        status=Submission.Status.FAILED,
        fixable_by="submitter",
        failure_reason="The space does not belong to this ISV account.",
    )

    with django_capture_on_commit_callbacks(execute=True):
        notifications.notify_needs_action(submission)

    [mail] = mailoutbox
    assert mail.recipients() == [staff.email]


def test_mail_is_plain_text_with_names_as_typed(staff, pdf_upload, mailoutbox, run):
    submission = create(staff, pdf_upload)
    Submission.objects.filter(pk=submission.pk).update(
        company_name='Smith & Sons <Ltd> "Kopi"'
    )

    run()

    [mail] = mailoutbox
    assert mail.subject == 'Accepted: the terms of Smith & Sons <Ltd> "Kopi"'
    assert 'Smith & Sons <Ltd> "Kopi" (space ID 293483938849493)' in mail.body
    assert "&amp;" not in mail.body
