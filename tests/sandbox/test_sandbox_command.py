import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from Tea.exceptions import TeaException

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_serves_until_sigterm(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path),
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = requests.get(
                    f"http://127.0.0.1:{port}/_sandbox/calls", timeout=1
                )
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=10)
    finally:
        process.kill()

    assert answer.json() == []
    assert process.returncode == 0
    assert f"listening at http://127.0.0.1:{port}" in output
    assert "stopped" in output


def run_sandbox(*arguments: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "sandbox", *arguments],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_until_listening(port: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/_sandbox/calls", timeout=1)
            return
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.1)


def test_the_command_passes_its_options_on(tmp_path):
    from tests.sandbox.official import cams_authorize, cams_client

    port = free_port()
    process = run_sandbox(
        "--port", str(port), "--data-dir", str(tmp_path), "--rate-limit", "1",
        "--expire-style", "epoch", "--access-key-id", "LTAI5tOther",
        "--access-key-secret", "other-secret",
    )  # fmt: skip
    try:
        wait_until_listening(port)
        sandbox = type("Address", (), {"url": f"http://127.0.0.1:{port}"})
        client = cams_client(sandbox, "other-secret", "LTAI5tOther")
        first = cams_authorize(client, "1").body.to_map()
        with pytest.raises(TeaException) as throttled:
            cams_authorize(client, "1")
    finally:
        process.terminate()
        process.communicate(timeout=10)

    assert first["Data"]["Expire"] > time.time()
    assert throttled.value.code == "System.LimitControl"


def test_a_busy_port_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = run_sandbox("--port", str(port), "--data-dir", str(tmp_path))
        output, _ = process.communicate(timeout=30)

    assert process.returncode != 0
    assert f"Cannot listen on 127.0.0.1:{port}" in output
    assert "Traceback" not in output


def test_a_rate_limit_below_one_is_refused(tmp_path):
    process = run_sandbox("--rate-limit", "0", "--data-dir", str(tmp_path))
    output, _ = process.communicate(timeout=30)

    assert process.returncode != 0
    assert "--rate-limit must be at least 1" in output
