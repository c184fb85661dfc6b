"""Production start-up: servers and workers refuse development settings, and
good production values pass Django's deploy check and serve through gunicorn."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.test_settings import PROJECT_ROOT, run_python

HOST = "terms.isv.example"


def production(tmp_path: Path | None = None, **overrides) -> dict[str, str]:
    """Environment variables of a production deployment, with changes."""
    database = (tmp_path or Path("/nonexistent")) / "db.sqlite3"
    env = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_CSRF_TRUSTED_ORIGINS": f"https://{HOST}",
        "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI5tProductionKeyId",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "production-key-secret",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def manage(*arguments: str, env: dict[str, str], timeout: int = 120):
    command = ", ".join(repr(argument) for argument in ("manage.py", *arguments))
    return run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "from django.core.management import execute_from_command_line; "
        f"execute_from_command_line([{command}])",
        **env,
    )


ENTRY_POINTS = ["portal.wsgi"]

REFUSALS = {
    "the development key": ({"DJANGO_SECRET_KEY": None}, "DJANGO_SECRET_KEY"),
    "a wildcard host": (
        {"DJANGO_ALLOWED_HOSTS": f"{HOST},*"},
        "DJANGO_ALLOWED_HOSTS must name the portal's host names",
    ),
    "no key pair": (
        {
            "ALIBABA_CLOUD_ACCESS_KEY_ID": None,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None,
        },
        "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must be set",
    ),
}


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_servers_refuse_development_settings_naming_the_variable(entry_point, case):
    overrides, message = REFUSALS[case]

    result = run_python(f"import {entry_point}", **production(**overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_servers_start_with_production_values(entry_point):
    result = run_python(
        f"import {entry_point}; print({entry_point}.application.__class__.__name__)",
        **production(),
    )

    assert result.returncode == 0, result.stderr
    assert "Handler" in result.stdout


def test_every_problem_is_named_at_once():
    result = run_python(
        "import portal.wsgi",
        DJANGO_ALLOWED_HOSTS="*",
    )

    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS must name" in result.stderr
    assert (
        "ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET must be"
        in (result.stderr)
    )


def test_the_sandbox_serves_in_production_mode_only_when_asked_for():
    without_keys = production(
        ALIBABA_CLOUD_ACCESS_KEY_ID=None, ALIBABA_CLOUD_ACCESS_KEY_SECRET=None
    )

    asked = run_python(
        "import portal.wsgi; from django.conf import settings; "
        "print(settings.CHATAPP_SANDBOX, settings.CHATAPP_ENDPOINT)",
        **without_keys,
        CHATAPP_SANDBOX="1",
    )
    not_asked = run_python("import portal.wsgi", **without_keys, CHATAPP_SANDBOX="0")

    assert asked.returncode == 0, asked.stderr
    assert asked.stdout.split() == ["True", "http://127.0.0.1:8001"]
    assert "set CHATAPP_SANDBOX=1" in not_asked.stderr


def test_debug_mode_starts_with_nothing_set():
    # What `make run` does: debug mode on, no key pair, the development key.
    result = run_python(
        "import portal.wsgi; from django.conf import settings; "
        "print(settings.CHATAPP_SANDBOX)",
        DJANGO_DEBUG="1",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_the_worker_refuses_development_settings_naming_the_variable(tmp_path):
    result = manage(
        "db_worker",
        "--batch",
        env=production(
            tmp_path,
            ALIBABA_CLOUD_ACCESS_KEY_ID=None,
            ALIBABA_CLOUD_ACCESS_KEY_SECRET=None,
        ),
    )

    assert result.returncode == 1
    assert "CommandError: ALIBABA_CLOUD_ACCESS_KEY_ID" in result.stderr
    assert "Worker" not in result.stderr


def test_the_worker_starts_with_production_values(production_database):
    result = manage("db_worker", "--batch", env=production(production_database))

    assert result.returncode == 0, result.stderr
    assert "found nothing due; exiting" in result.stderr


def test_production_values_pass_the_deploy_check():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production())

    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_fails_when_https_is_switched_off():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production(DJANGO_SECURE_SSL_REDIRECT="0", DJANGO_SECURE_HSTS_SECONDS="0"),
    )

    assert result.returncode != 0
    assert "security.W008" in result.stderr
    assert "security.W004" in result.stderr


# gunicorn, as README.md says to run it


@pytest.fixture(scope="module")
def production_database(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("production")
    migrated = manage("migrate", "-v0", env=production(folder))
    assert migrated.returncode == 0, migrated.stderr
    return folder


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def start_gunicorn(production_database, tmp_path):
    """Start `gunicorn portal.wsgi` with production values; stop it afterwards."""
    started = []

    def start(**overrides) -> tuple[str, Path]:
        port = free_port()
        output = tmp_path / f"gunicorn-{port}.log"
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_URL", "ALIBABA_", "GUNICORN_"))
        }
        env = {
            **base,
            **production(production_database),
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            **overrides,
        }
        with output.open("w") as log:
            process = subprocess.Popen(
                [Path(sys.executable).parent / "gunicorn", "portal.wsgi"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                # The socket is open before the workers have loaded the portal.
                requests.get(f"{url}/healthz", headers={"Host": HOST}, timeout=20)
                return url, output
            except requests.ConnectionError:
                assert process.poll() is None, output.read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)

    yield start
    for process in started:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def test_gunicorn_serves_the_portal_behind_a_proxy_that_ends_tls(start_gunicorn):
    url, output = start_gunicorn()
    # A proxy on this machine, which gunicorn trusts by default.
    behind_tls = {"Host": HOST, "X-Forwarded-Proto": "https"}

    page = requests.get(f"{url}/accounts/login/", headers=behind_tls, timeout=10)
    stylesheet = next(
        line.split('href="')[1].split('"')[0]
        for line in page.text.splitlines()
        if "portal/portal." in line and "stylesheet" in line
    )
    style = requests.get(f"{url}{stylesheet}", headers=behind_tls, timeout=10)

    assert page.status_code == 200
    assert "Sign in" in page.text
    assert page.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert "Secure" in page.headers["Set-Cookie"]
    # Collected, compressed and named after their content by collectstatic.
    assert stylesheet.startswith("/static/portal/portal.")
    assert stylesheet.count(".") == 2
    assert style.status_code == 200
    assert style.headers["Content-Type"].startswith("text/css")
    assert "immutable" in style.headers["Cache-Control"]
    assert 'GET /accounts/login/ HTTP/1.1" 200' in output.read_text()


def test_gunicorn_sends_plain_http_to_https_except_the_health_check(start_gunicorn):
    url, _ = start_gunicorn()
    plain = {"Host": HOST}

    page = requests.get(
        f"{url}/accounts/login/", headers=plain, allow_redirects=False, timeout=10
    )
    health = requests.get(f"{url}/healthz", headers=plain, timeout=10)

    assert page.status_code == 301
    assert page.headers["Location"] == f"https://{HOST}/accounts/login/"
    assert health.status_code == 200
    assert health.json()["database"] == "ok"


def test_gunicorn_ignores_the_scheme_header_of_a_proxy_it_does_not_trust(
    start_gunicorn,
):
    url, _ = start_gunicorn(GUNICORN_FORWARDED_ALLOW_IPS="192.0.2.10")

    forged = requests.get(
        f"{url}/accounts/login/",
        headers={"Host": HOST, "X-Forwarded-Proto": "https"},
        allow_redirects=False,
        timeout=10,
    )

    assert forged.status_code == 301
    assert forged.headers["Location"].startswith("https://")
