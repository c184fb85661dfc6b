"""With known secret values, run submissions through the whole pipeline, then
look for the secrets everywhere the portal writes or shows something."""

import io
import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from onboarding.models import Submission
from onboarding.services import client as client_module
from tests import documents
from tests.conftest import valid_form_data
from tests.pipeline.conftest import drain

pytestmark = pytest.mark.django_db

CANARY_KEY_ID = "LTAI5tCanaryPipelineKeyId"
CANARY_SECRET = "CANARY-PIPELINE-KEY-SECRET-4d9b2e71"

Status = Submission.Status
# Space IDs whose prefix makes the sandbox answer a certain way, and where
# each submission ends.
FIRST_ROUND = {
    "293483938849493": Status.ACCEPTED,
    "flaky2-throttle-293483938849401": Status.ACCEPTED,
    "flaky-limit-293483938849402": Status.ACCEPTED,
    "flaky2-503-293483938849403": Status.ACCEPTED,
    "flaky-slow-293483938849404": Status.ACCEPTED,
    "flaky-drop-293483938849405": Status.ACCEPTED,
    "flaky-expiredtoken-293483938849406": Status.ACCEPTED,
    "fail-owner-293483938849407": Status.FAILED,
    "fail-http200-293483938849408": Status.FAILED,
    "fail-500-293483938849409": Status.FAILED,
}
# Refused for the account once: processing pauses until support resumes it.
ACCOUNT_REFUSAL = "flaky-ram-293483938849410"
CHATTY_LIBRARIES = ("oss2", "urllib3", "requests")


@pytest.fixture
def sandbox_config(sandbox_config):
    return replace(
        sandbox_config,
        access_key_id=CANARY_KEY_ID,
        access_key_secret=CANARY_SECRET,
        slow_seconds=2,
    )


@pytest.fixture
def canary_key_pair(settings):
    settings.ALIBABA_CLOUD_ACCESS_KEY_ID = CANARY_KEY_ID
    settings.ALIBABA_CLOUD_ACCESS_KEY_SECRET = CANARY_SECRET
    settings.CHATAPP_MAX_ATTEMPTS = 3
    client_module.chatapp_client.cache_clear()


def library_loggers() -> list[logging.Logger]:
    names = [
        name
        for name in logging.root.manager.loggerDict
        if name.split(".")[0] in CHATTY_LIBRARIES
    ]
    return [logging.getLogger(name) for name in [*CHATTY_LIBRARIES, *names]]


@pytest.fixture
def emitted_logs():
    """What the configured handlers write, with the chatty libraries at DEBUG."""
    stream = io.StringIO()
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if handler.name in django_settings.LOGGING["handlers"]
    ]
    assert handlers, "no configured handler on the root logger"
    streams = {handler: handler.stream for handler in handlers}
    loggers = {
        logger: (logger.level, logger.filters[:]) for logger in library_loggers()
    }
    for handler in handlers:
        handler.setStream(stream)
    # The client keeps these loggers quiet by itself; lifting that leaves the
    # handlers' own filter alone against their debug output.
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.filters.clear()
    try:
        yield stream
    finally:
        for handler, original in streams.items():
            handler.setStream(original)
        for logger, (level, filters) in loggers.items():
            logger.setLevel(level)
            logger.filters[:] = filters


def submit(client, space_id: str) -> None:
    pdf = SimpleUploadedFile("terms.pdf", documents.minimal_pdf(), "application/pdf")
    data = {**valid_form_data(cust_space_id=space_id), "agreement": pdf}
    response = client.post(reverse("onboarding:submission_create"), data)
    assert response.status_code == 302


def signed_in(user, **options) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


def database_dump() -> str:
    """Every model through dumpdata, and every table row by row."""
    dumped = io.StringIO()
    call_command("dumpdata", stdout=dumped)
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            # The names come from the database itself, not from input.
            query = f"SELECT * FROM {connection.ops.quote_name(table)}"  # noqa: S608
            cursor.execute(query)
            found = cursor.fetchall()
            rows += [f"== {table}: {len(found)} rows", *map(repr, found)]
    return dumped.getvalue() + "\n".join(rows)


def known_secrets(sandbox) -> dict[str, str]:
    """The key pair's secret, and each STS secret and token the sandbox issued,
    read from the file of credentials it keeps."""
    lines = sandbox.credentials.path.read_text().splitlines()
    secrets = {"the AccessKey secret": CANARY_SECRET}
    for number, line in enumerate(lines, start=1):
        credential = json.loads(line)
        secrets[f"STS secret {number}"] = credential["access_key_secret"]
        secrets[f"STS token {number}"] = credential["security_token"]
    return secrets


def leaked(text: str, secrets: dict[str, str]) -> list[str]:
    # A secret cut short, as in a truncated message, still counts.
    return [
        name
        for name, value in secrets.items()
        if any(piece in text for piece in (value, value[:24], value[-24:]))
    ]


def run_every_scenario(staff_client, support, capture_on_commit) -> None:
    # Mail goes out once a change commits, which a test never does: run what
    # was waiting for the commit when each round ends.
    with capture_on_commit(execute=True):
        for space_id in FIRST_ROUND:
            submit(staff_client, space_id)
        drain()
        submit(staff_client, ACCOUNT_REFUSAL)
        drain()
        refused = Submission.objects.get(cust_space_id=ACCOUNT_REFUSAL)
        assert refused.status == Status.RETRYING

        signed_in(support).post(
            reverse("admin:onboarding_pipeline_resume"), {"reason": "RAM fixed"}
        )
        drain()


def pages_about(submissions, *, staff_client, administrator) -> list:
    admin = signed_in(administrator)
    pages = [admin.get(reverse("admin:onboarding_submission_changelist"))]
    for submission in submissions:
        pages += [
            admin.get(
                reverse("admin:onboarding_submission_change", args=[submission.pk])
            ),
            admin.get(
                reverse("admin:onboarding_submission_history", args=[submission.pk])
            ),
            staff_client.get(submission.get_absolute_url()),
            staff_client.get(
                reverse("onboarding:submission_live", args=[submission.pk])
            ),
        ]
    assert {page.status_code for page in pages} == {200}
    return pages


def exported(submissions, *, support) -> str:
    response = signed_in(support).post(
        reverse("admin:onboarding_submission_changelist"),
        {
            "action": "export_csv",
            "_selected_action": [str(s.pk) for s in submissions],
            "confirm": "yes",
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    return response.content.decode()


def debug_error_page(submission, *, staff, settings) -> str:
    """The technical page debug mode shows for an agreement storage cannot read."""
    stored = Path(submission.agreement.path)
    stored.unlink()
    stored.mkdir()
    settings.DEBUG = True
    try:
        response = signed_in(staff, raise_request_exception=False).get(
            reverse("onboarding:agreement_download", args=[submission.pk]),
            # As runserver hands the environment to each request.
            ALIBABA_CLOUD_ACCESS_KEY_SECRET=CANARY_SECRET,
        )
    finally:
        settings.DEBUG = False

    assert response.status_code == 500
    page = response.content.decode()
    assert "IsADirectoryError" in page
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in page
    return page


def test_no_secret_reaches_the_database_logs_pages_export_mail_or_error_page(
    staff_client,
    staff,
    support,
    administrator,
    sandbox,
    canary_key_pair,
    emitted_logs,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    run_every_scenario(staff_client, support, django_capture_on_commit_callbacks)
    submissions = list(Submission.objects.order_by("created_at"))
    assert [(s.cust_space_id, s.status) for s in submissions] == [
        *FIRST_ROUND.items(),
        (ACCOUNT_REFUSAL, Status.ACCEPTED),
    ]
    accepted = submissions[0]

    secrets = known_secrets(sandbox)
    # One authorization per space ID, and a second after the expired token.
    assert len(secrets) == 1 + 2 * (len(submissions) + 1)
    pages = pages_about(
        submissions, staff_client=staff_client, administrator=administrator
    )
    # Put there on purpose: the search must find these.
    control = f"the key {CANARY_SECRET}, a token's end {secrets['STS token 1'][-30:]}"
    haystacks = {
        "control": control,
        "pages": "\n".join(page.content.decode() for page in pages),
        "export": exported(submissions, support=support),
        "mail": "\n".join(f"{mail.subject}\n{mail.body}" for mail in mailoutbox),
        "error page": debug_error_page(accepted, staff=staff, settings=settings),
        "database": database_dump(),
        # Last, so that it holds what the error page logged too.
        "logs": emitted_logs.getvalue(),
    }

    found = {name: leaked(text, secrets) for name, text in haystacks.items()}
    assert found == {
        **{name: [] for name in haystacks},
        "control": ["the AccessKey secret", "STS token 1"],
    }
    assert_each_holds_what_it_should(haystacks, submissions, sandbox)


def assert_each_holds_what_it_should(haystacks, submissions, sandbox) -> None:
    # Finding no secret in a place proves nothing unless the place is full.
    accepted = submissions[0]
    logs, dump = haystacks["logs"], haystacks["database"]
    assert f"submission={accepted.pk}" in logs
    assert "x-oss-security-token" in logs
    assert "Starting new HTTP connection" in logs
    assert "Internal Server Error" in logs
    answered = [
        call.request_id
        for call in sandbox.calls()
        if call.params.get("CustSpaceId") == accepted.cust_space_id
    ]
    assert len(answered) == 2
    assert all(request_id in dump for request_id in answered)
    tasks = DBTaskResult.objects.values_list("pk", flat=True)
    assert tasks and all(str(pk) in dump or pk.hex in dump for pk in tasks)
    assert f"== {LogEntry._meta.db_table}: " in dump
    assert "Throttling.User" in haystacks["pages"]
    assert haystacks["export"].count("Nusantara Kopi PT") == len(submissions)
    assert "Accepted: the terms of Nusantara Kopi PT" in haystacks["mail"]
    assert "Processing paused" in haystacks["mail"]
