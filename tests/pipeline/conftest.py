import time

import pytest
from django.utils import timezone

from onboarding.management.commands import db_worker
from onboarding.management.commands.db_worker import PortalWorker
from onboarding.models import Submission
from onboarding.services import client as client_module


@pytest.fixture(autouse=True)
def keep_the_test_connection(monkeypatch):
    # A worker closes stale connections between tasks; in a test that would
    # close the connection holding the test's own transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


@pytest.fixture(autouse=True)
def portal_on_sandbox(settings, sandbox):
    """Point the portal's client at a fresh sandbox with a fresh cache."""
    settings.CHATAPP_ENDPOINT = sandbox.url
    settings.CHATAPP_READ_TIMEOUT = 1.0
    settings.CHATAPP_RETRY_BASE_DELAY = 0.01
    settings.CHATAPP_RETRY_MAX_DELAY = 0.05
    client_module.chatapp_client.cache_clear()
    client_module._authorizations.clear()
    yield
    client_module.chatapp_client.cache_clear()
    client_module._authorizations.clear()


def drain(timeout: float = 20) -> None:
    """Run a worker until no submission is waiting or due soon."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        PortalWorker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        ).run()
        waiting = Submission.objects.filter(
            status__in=[Submission.Status.QUEUED, Submission.Status.RETRYING],
            next_attempt_at__lte=timezone.now() + timezone.timedelta(seconds=2),
        )
        if not waiting.exists():
            return
        time.sleep(0.05)
    raise AssertionError("submissions were still waiting when time ran out")
