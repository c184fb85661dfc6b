"""Web requests keep working while workers write to the same database."""

import threading
import time

import pytest
from django.db import connections
from django.urls import reverse

from onboarding.management.commands.db_worker import PortalWorker
from onboarding.models import Submission
from tests.conftest import valid_form_data

pytestmark = pytest.mark.django_db(transaction=True)


def test_posting_forms_while_two_workers_process(client, staff, pdf_upload, settings):
    settings.CHATAPP_RATE_LIMIT = 50
    client.force_login(staff)
    stop = threading.Event()
    errors = []

    def work():
        try:
            while not stop.is_set():
                PortalWorker(
                    queue_names=["default"],
                    interval=0,
                    batch=True,
                    backend_name="default",
                    startup_delay=False,
                    max_tasks=None,
                    worker_id=threading.current_thread().name,
                    excluded_queue_names=[],
                ).run()
                time.sleep(0.02)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work, name=f"worker-{n}") for n in range(2)]
    for worker in workers:
        worker.start()
    try:
        statuses = []
        for number in range(20):
            data = valid_form_data(cust_space_id=f"5{number:010d}")
            data["agreement"] = pdf_upload()
            statuses.append(
                client.post(reverse("onboarding:submission_create"), data).status_code
            )
            statuses.append(
                client.get(reverse("onboarding:submission_list")).status_code
            )
        deadline = time.monotonic() + 30
        while Submission.objects.exclude(status="accepted").exists():
            assert time.monotonic() < deadline, "the workers did not finish"
            time.sleep(0.1)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)

    assert errors == []
    assert statuses == [302, 200] * 20
    assert Submission.objects.filter(status="accepted").count() == 20
