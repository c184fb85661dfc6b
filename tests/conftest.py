"""Shared fixtures: the people who use the portal, and agreements to upload."""

import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from onboarding.models import PipelineState, Submission
from onboarding.sandbox import Sandbox, SandboxConfig
from tests import documents


@pytest.fixture(scope="session", autouse=True)
def collected_static_files():
    # Pages are rendered with the production static storage, which needs the
    # manifest that collectstatic writes.
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache():
    # Each test starts with no figures kept from another.
    cache.clear()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def plain_http():
    # The test client and the live server speak plain HTTP, as on a laptop;
    # tests/web/test_security_headers.py turns the redirect to HTTPS back on.
    # For the whole session: the live server reads it once, as it starts.
    with override_settings(SECURE_SSL_REDIRECT=False):
        yield


@pytest.fixture(autouse=True)
def private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.MEDIA_ROOT},
        },
    }
    return settings.MEDIA_ROOT


STAFF_PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(
        username=username,
        email=f"{username}@isv.example",
        password=STAFF_PASSWORD,
        **extra,
    )


def pause_processing(**fields) -> PipelineState:
    """Pause processing as an account-level refusal from Alibaba does."""
    state, _ = PipelineState.objects.update_or_create(
        pk=1,
        defaults={
            "paused": True,
            "paused_at": timezone.now(),
            "error_code": "Ram.PermissionDeny",
            "reason": "You are not authorized to do this.",
            "cool_off_until": timezone.now() + timedelta(minutes=5),
            **fields,
        },
    )
    return state


@pytest.fixture
def staff(db):
    """Amira works for the ISV and submits her customers' terms."""
    return make_user("amira")


@pytest.fixture
def other_staff(db):
    """Bruno works for the same ISV; his submissions are his own."""
    return make_user("bruno")


@pytest.fixture
def administrator(db):
    """Olga runs the portal for the ISV: a superuser."""
    return get_user_model().objects.create_superuser(
        "olga", "olga@isv.example", STAFF_PASSWORD
    )


@pytest.fixture
def administrator_client(client, administrator):
    client.force_login(administrator)
    return client


def make_role_member(username: str, role: str):
    from django.contrib.auth.models import Group

    user = make_user(username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def support(db):
    """Sam works in support: reprocesses failures, reads every submission."""
    return make_role_member("sam", "Support")


@pytest.fixture
def reviewer(db):
    """Rita reviews submissions and their calls, and changes nothing."""
    return make_role_member("rita", "Reviewers")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def pdf_upload():
    def build(name: str = "agreement.pdf", content: bytes | None = None):
        body = documents.minimal_pdf() if content is None else content
        return SimpleUploadedFile(name, body, content_type="application/pdf")

    return build


def valid_form_data(**overrides) -> dict:
    data = {
        "form_token": str(uuid.uuid4()),
        "cust_space_id": "293483938849493",
        "company_name": "Nusantara Kopi PT",
        "office_address": "Jl. Sudirman 1, Jakarta",
        "contact_email": "legal@nusantara-kopi.example",
        "country": "ID",
        "business_description": "Order updates and customer support on WhatsApp.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_submission(staff):
    def build(**fields) -> Submission:
        defaults = {
            "submitted_by": staff,
            "form_token": uuid.uuid4(),
            "cust_space_id": "293483938849493",
            "company_name": "Nusantara Kopi PT",
            "office_address": "Jl. Sudirman 1, Jakarta",
            "contact_email": "legal@nusantara-kopi.example",
            "country": "ID",
            "business_description": "Order updates.",
            "agreement_name": "agreement.pdf",
            "agreement_size": len(documents.minimal_pdf()),
            "agreement_sha256": documents.sha256(documents.minimal_pdf()),
        }
        defaults.update(fields)
        submission = Submission(**defaults)
        submission.agreement.save(
            "agreement.pdf", SimpleUploadedFile("a.pdf", documents.minimal_pdf())
        )
        return submission

    return build


@pytest.fixture
def sandbox_config(tmp_path) -> SandboxConfig:
    """Settings for a sandbox on a free port; tests may replace fields."""
    return SandboxConfig(data_dir=tmp_path / "sandbox", port=0, slow_seconds=3)


@pytest.fixture
def sandbox(sandbox_config):
    """A running local ChatApp and OSS sandbox, stopped after the test."""
    running = Sandbox(sandbox_config).start()
    yield running
    running.stop()


@pytest.fixture
def sandbox_process(tmp_path):
    """A sandbox in a process of its own, for measuring this one; its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sandbox", "--port", str(port),
         "--data-dir", str(tmp_path / "sandbox-process")],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{url}/_sandbox/calls", timeout=1)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)
