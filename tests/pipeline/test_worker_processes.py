"""Real worker processes: killed mid-submission, or asked to stop."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connections

from onboarding.sandbox import Sandbox, SandboxConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# These tests run their own processes against their own SQLite file, whatever
# database the suite runs on, so the processes can share it.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def system(tmp_path):
    sandbox = Sandbox(
        SandboxConfig(data_dir=tmp_path / "sandbox", port=0, slow_seconds=6)
    ).start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_")},
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "CHATAPP_ENDPOINT": sandbox.url,
        "CHATAPP_READ_TIMEOUT": "10",
        "CHATAPP_RETRY_BASE_DELAY": "0.05",
        "CHATAPP_RETRY_MAX_DELAY": "0.1",
        "PIPELINE_LEASE_SECONDS": "5",
        "PIPELINE_RECOVERY_SECONDS": "1",
    }
    manage(env, "migrate", "-v0")
    yield env, sandbox
    sandbox.stop()
    connections.close_all()


def manage(env, *arguments, timeout=60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def shell(env, code: str) -> str:
    return manage(env, "shell", "-v", "0", "-c", code).stdout.strip().splitlines()[-1]


CREATE = """
import uuid
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from onboarding.services import submission_create
from tests import documents
user, _ = get_user_model().objects.get_or_create(username="amira")
submission, _ = submission_create(
    submitted_by=user, form_token=uuid.uuid4(), cust_space_id="{space_id}",
    company_name="Nusantara Kopi PT", office_address="Jl. Sudirman 1",
    contact_email="legal@nusantara.example", country="ID",
    business_description="Order updates.",
    agreement=SimpleUploadedFile("a.pdf", documents.minimal_pdf()),
)
print(submission.pk)
"""

STATUS = """
from onboarding.models import Submission
s = Submission.objects.get(pk="{pk}")
print(s.status, s.attempts, ",".join(s.api_calls.order_by("started_at")
      .values_list("outcome", flat=True)))
"""


def start_worker(env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.1"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_submit_in_flight(env, timeout: float = 20) -> None:
    """Wait until a worker has stored a submit call and awaits its answer."""
    database = env["DATABASE_URL"].removeprefix("sqlite:///")
    deadline = time.monotonic() + timeout
    while True:
        with sqlite3.connect(database) as connection:
            (pending,) = connection.execute(
                "SELECT COUNT(*) FROM onboarding_apicall "
                "WHERE action = 'SubmitIsvCustomerTerms' AND outcome = 'pending'"
            ).fetchone()
        if pending:
            return
        assert time.monotonic() < deadline, "no submit call was made"
        time.sleep(0.05)


def test_a_worker_killed_mid_submission_loses_nothing(system):
    env = system[0]
    pk = shell(env, CREATE.format(space_id="flaky-slow-293483938849493"))
    worker = start_worker(env)
    wait_for_submit_in_flight(env)

    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    assert shell(env, STATUS.format(pk=pk)).startswith("processing")

    # Nobody acts: the next worker finds the stale lease once it expires.
    replacement = start_worker(env)
    try:
        deadline = time.monotonic() + 40
        while not shell(env, STATUS.format(pk=pk)).startswith("accepted"):
            assert time.monotonic() < deadline, shell(env, STATUS.format(pk=pk))
            time.sleep(0.5)
    finally:
        replacement.terminate()
        replacement.wait(timeout=20)

    outcomes = shell(env, STATUS.format(pk=pk)).split(" ")[2]
    assert outcomes.split(",")[-2:] == ["unknown_outcome", "ok"]


def test_sigterm_lets_the_current_step_finish(system):
    env = system[0]
    pk = shell(env, CREATE.format(space_id="flaky-slow-293483938849493"))
    worker = start_worker(env)
    wait_for_submit_in_flight(env)

    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=30)

    assert worker.returncode == 0
    assert "shutting down gracefully" in output
    # The slow answer came back after the client gave up or in time; either
    # way the step was finished and recorded, nothing is left half-done.
    status = shell(env, STATUS.format(pk=pk))
    assert status.split(" ")[0] in ("accepted", "retrying")
    assert "pending" not in status
