import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(url: str, deadline: float) -> requests.Response:
    while True:
        try:
            return requests.get(url, timeout=1)
        except requests.ConnectionError:
            assert time.monotonic() < deadline, f"nothing answered at {url}"
            time.sleep(0.2)


def test_it_serves_the_portal_and_the_sandbox_until_stopped(tmp_path):
    web_port, sandbox_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_")},
        "DJANGO_DEBUG": "1",
        "SANDBOX_PORT": str(sandbox_port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
    )
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_local", "--port", str(web_port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        page = wait_for(f"http://127.0.0.1:{web_port}/accounts/login/", deadline)
        calls = wait_for(f"http://127.0.0.1:{sandbox_port}/_sandbox/calls", deadline)
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=20)
    finally:
        process.kill()

    assert page.status_code == 200
    assert "sandbox-marker" in page.text
    assert calls.json() == []
    assert process.returncode == 0
    for port in (web_port, sandbox_port):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, "a child outlived it"


def test_when_one_process_dies_the_others_are_stopped(tmp_path):
    web_port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_")},
            "DJANGO_DEBUG": "1",
            "SANDBOX_PORT": str(taken.getsockname()[1]),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_local", "--port", str(web_port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            output, _ = process.communicate(timeout=60)
        finally:
            process.kill()

    assert process.returncode == 1
    assert "The sandbox process stopped; stopping the rest." in output
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", web_port)) != 0


def test_manage_py_runs_the_portals_worker():
    from django.core.management import get_commands

    assert get_commands()["db_worker"] == "onboarding"
