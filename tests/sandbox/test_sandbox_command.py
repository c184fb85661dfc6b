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
