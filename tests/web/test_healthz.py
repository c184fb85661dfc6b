"""GET /healthz: whether the database answers, the queue, and the pause."""

import socket
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from onboarding import services
from onboarding.models import PipelineState, Submission

Status = Submission.Status
FIELDS = {"status", "database", "waiting", "oldest_waiting_seconds", "paused"}


def ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


@contextmanager
def database_unreachable(tmp_path):
    """Point the default connection where no database answers, then back."""
    connection.close()
    saved = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "db.sqlite3")
    else:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed_port = probe.getsockname()[1]
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port))
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


def test_it_lives_at_the_top_of_the_site():
    assert reverse("healthz") == "/healthz"


@pytest.mark.django_db
def test_it_reports_the_waiting_queue_without_signing_in(client, make_submission):
    make_submission(status=Status.QUEUED, created_at=ago(120))
    make_submission(status=Status.RETRYING, created_at=ago(30))
    # Neither finished nor in-flight submissions are waiting.
    make_submission(status=Status.ACCEPTED, created_at=ago(9000))
    make_submission(status=Status.FAILED, created_at=ago(8000))
    make_submission(status=Status.PROCESSING, created_at=ago(7000))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    report = response.json()
    assert set(report) == FIELDS
    assert report["status"] == "ok"
    assert report["database"] == "ok"
    assert report["waiting"] == 2
    assert 120 <= report["oldest_waiting_seconds"] < 150
    assert report["paused"] is False


@pytest.mark.django_db
def test_a_submission_sent_again_has_waited_since_then(client, make_submission):
    # Created ten days ago, failed, and sent again just now: the queue is not
    # ten days behind.
    failed = make_submission(status=Status.FAILED, created_at=ago(10 * 86400))
    services.submission_reprocess(submission=failed, actor=None)
    make_submission(status=Status.QUEUED, created_at=ago(300))

    report = client.get("/healthz").json()

    assert report["waiting"] == 2
    assert 300 <= report["oldest_waiting_seconds"] < 330


@pytest.mark.django_db
def test_an_empty_queue_has_no_oldest_age(client):
    report = client.get("/healthz").json()

    assert (report["waiting"], report["oldest_waiting_seconds"]) == (0, None)


@pytest.mark.django_db
def test_it_says_processing_is_paused_but_not_why(client, settings):
    reason = "Alibaba refused key LTAI5tCanaryKeyId for space 293483938849493"
    PipelineState.objects.create(
        pk=1, paused=True, reason=reason, error_code="Ram.PermissionDeny"
    )

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["paused"] is True
    body = response.content.decode()
    for private in (
        reason,
        "Ram.PermissionDeny",
        "293483938849493",
        settings.ALIBABA_CLOUD_ACCESS_KEY_ID,
        settings.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
        settings.CHATAPP_ENDPOINT,
        str(connection.settings_dict["NAME"]),
    ):
        assert private not in body


@pytest.mark.django_db
def test_it_answers_head_and_refuses_changes_without_a_csrf_page():
    client = Client(enforce_csrf_checks=True)

    assert client.head("/healthz").status_code == 200
    for method in (client.post, client.put, client.delete):
        assert method("/healthz").status_code == 405


# The connection is closed and reopened, which a test's transaction would not
# survive.
@pytest.mark.django_db(transaction=True)
def test_it_answers_503_while_the_database_does_not(client, tmp_path):
    with database_unreachable(tmp_path):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "waiting": None,
        "oldest_waiting_seconds": None,
        "paused": None,
    }
    assert client.get("/healthz").status_code == 200
