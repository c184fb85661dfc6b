"""Production start-up: servers and workers refuse development settings, and
good production values pass Django's deploy check and serve through gunicorn."""

import gzip
import json
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
    "the development key": (
        {"DJANGO_SECRET_KEY": None},
        "DJANGO_SECRET_KEY must be set to a long random value",
    ),
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


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_the_worker_refuses_development_settings_naming_the_variable(tmp_path, case):
    overrides, message = REFUSALS[case]

    result = manage("db_worker", "--batch", env=production(tmp_path, **overrides))

    assert result.returncode == 1
    assert f"CommandError: {message}" in result.stderr
    # This problem alone: the others were set as production needs them.
    others = [text for name, (_, text) in REFUSALS.items() if name != case]
    assert not [text for text in others if text in result.stderr]
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


def test_collectstatic_writes_a_compressed_copy_beside_each_named_file(tmp_path):
    # Into a folder of its own: copies a past run left in var/static would
    # hide a storage that no longer compresses.
    result = run_python(
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; "
        "from django.conf import settings; "
        f"settings.STATIC_ROOT = {str(tmp_path)!r}; "
        "import django; django.setup(); "
        "from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)",
        **production(),
    )
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]

    assert result.returncode == 0, result.stderr
    for name in ("portal/portal.css", "portal/portal.js"):
        named = tmp_path / manifest[name]
        assert named.name != Path(name).name
        compressed = named.with_name(f"{named.name}.gz").read_bytes()
        assert gzip.decompress(compressed) == named.read_bytes()


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


class Gunicorn:
    """Starts `gunicorn portal.wsgi` with production values; stops what it started."""

    def __init__(self, database: Path, folder: Path):
        self.database = database
        self.folder = folder
        self.started: list[subprocess.Popen] = []

    def __call__(self, **overrides) -> tuple[str, Path]:
        """Start a server, wait until it answers, and return its URL and output."""
        port = free_port()
        output = self.folder / f"gunicorn-{port}.log"
        base = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("DJANGO_", "DATABASE_URL", "ALIBABA_", "GUNICORN_", "LOG_")
            )
        }
        env = {
            **base,
            **production(self.database),
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
        self.started.append(process)
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

    def stop(self) -> None:
        """Stop every server as a service manager does, and wait for it to exit."""
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


@pytest.fixture
def start_gunicorn(production_database, tmp_path):
    servers = Gunicorn(production_database, tmp_path)
    yield servers
    servers.stop()


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
    style = requests.get(
        f"{url}{stylesheet}",
        headers={**behind_tls, "Accept-Encoding": "gzip"},
        timeout=10,
    )
    unencoded = requests.get(
        f"{url}{stylesheet}",
        headers={**behind_tls, "Accept-Encoding": "identity"},
        timeout=10,
    )

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
    # Sent compressed to a browser that accepts it, and whole to one that
    # does not; requests undoes the compression.
    assert style.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in style.headers["Vary"]
    assert int(style.headers["Content-Length"]) < len(unencoded.content)
    assert "Content-Encoding" not in unencoded.headers
    assert style.content == unencoded.content
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


def json_lines(output: Path, *, until: str, timeout: float = 10) -> list[dict]:
    """Each line of a server's output as JSON, once one of them mentions `until`."""
    deadline = time.monotonic() + timeout
    while until not in output.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    entries = []
    for line in output.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"Not a JSON line: {line!r}")
    return entries


def test_gunicorn_writes_json_lines_without_secrets_under_log_format_json(
    start_gunicorn,
):
    url, output = start_gunicorn(LOG_FORMAT="json")
    token = "CANARY-QUERY-TOKEN-7f3a9c"

    answer = requests.get(
        f"{url}/healthz?SecurityToken={token}", headers={"Host": HOST}, timeout=10
    )
    start_gunicorn.stop()
    entries = json_lines(output, until="Shutting down")

    assert answer.status_code == 200
    by_logger = {}
    for entry in entries:
        assert {"time", "level", "logger", "message"} <= entry.keys()
        by_logger.setdefault(entry["logger"], []).append(entry["message"])
    errors = " | ".join(by_logger["gunicorn.error"])
    for moment in ("Listening at", "Booting worker", "Shutting down"):
        assert moment in errors
    request_line = by_logger["gunicorn.access"][-1]
    assert '"GET /healthz?SecurityToken=[redacted] HTTP/1.1" 200' in request_line
    assert token not in output.read_text()


def test_gunicorn_request_lines_keep_their_fields_and_lose_their_secrets(
    start_gunicorn,
):
    # An access log format of the operator's choosing, naming request headers:
    # one the request sends, a secret one, and one it leaves out.
    fields = '%(s)s "%({user-agent}i)s" %({authorization}i)s %({x-request-id}i)s'
    url, output = start_gunicorn(
        LOG_FORMAT="json", GUNICORN_CMD_ARGS=f"--access-logformat '{fields}'"
    )
    token = "CANARY-HEADER-TOKEN-2b8e41"

    requests.get(
        f"{url}/healthz",
        headers={
            "Host": HOST,
            "User-Agent": "load-balancer/1.0",
            "Authorization": f"Bearer {token}",
        },
        timeout=10,
    )
    entries = json_lines(output, until="load-balancer")

    request_lines = [
        entry["message"] for entry in entries if entry["logger"] == "gunicorn.access"
    ]
    assert request_lines[-1] == '200 "load-balancer/1.0" [redacted] -'
    assert token not in output.read_text()


def test_gunicorn_writes_request_lines_to_the_file_named_or_nowhere(
    start_gunicorn, tmp_path
):
    access_log = tmp_path / "access.log"
    to_file, file_output = start_gunicorn(
        LOG_FORMAT="json", GUNICORN_ACCESS_LOG=str(access_log), GUNICORN_WORKERS="1"
    )
    switched_off, off_output = start_gunicorn(
        LOG_FORMAT="json", GUNICORN_ACCESS_LOG="off", GUNICORN_WORKERS="1"
    )

    for url in (to_file, switched_off):
        requests.get(f"{url}/healthz?from=monitor", headers={"Host": HOST}, timeout=10)
    start_gunicorn.stop()

    requests_logged = [json.loads(line) for line in access_log.read_text().splitlines()]
    assert {entry["logger"] for entry in requests_logged} == {"gunicorn.access"}
    assert "GET /healthz?from=monitor" in requests_logged[-1]["message"]
    for output in (file_output, off_output):
        assert "Shutting down" in output.read_text()
        assert "GET /healthz" not in output.read_text()
