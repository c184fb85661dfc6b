"""Cost per call of the portal's ChatApp client, beside the official client.

Both call GetChatappUploadAuthorization on the same local sandbox, which runs
in its own process so that its work is not counted. Rounds alternate between
the clients, and so does which goes first; the figures are medians over rounds
of the per-call CPU time of this process and the per-call wall time.

    .venv/bin/python bench/client_cost.py [--rounds 10] [--calls 200]
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from alibabacloud_cams20200606 import models as cams_models
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_util import models as util_models

from onboarding.chatapp import ChatAppClient, ChatAppConfig
from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_sandbox(port: int, data_dir: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sandbox", "--port", str(port),
         "--rate-limit", "1000000", "--data-dir", data_dir],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DJANGO_DEBUG": "1"},
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/_sandbox/objects", timeout=1)
            return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the sandbox did not start")


def portal_caller(url: str):
    client = ChatAppClient(
        ChatAppConfig(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, endpoint=url)
    )
    return lambda: client.get_upload_authorization("293483938849493")


def official_caller(url: str):
    client = CamsClient(
        openapi_models.Config(
            access_key_id=DEMO_ACCESS_KEY_ID,
            access_key_secret=DEMO_ACCESS_KEY_SECRET,
            endpoint=url.removeprefix("http://"),
            protocol="http",
        )
    )
    request = cams_models.GetChatappUploadAuthorizationRequest(
        cust_space_id="293483938849493"
    )
    runtime = util_models.RuntimeOptions(autoretry=False)
    return lambda: client.get_chatapp_upload_authorization_with_options(
        request, runtime
    )


def measure(call, calls: int) -> tuple[float, float]:
    """Return CPU seconds and wall seconds per call over `calls` calls."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    return (
        (time.process_time() - cpu) / calls,
        (time.perf_counter() - wall) / calls,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200)
    options = parser.parse_args()

    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        sandbox = start_sandbox(port, data_dir)
        try:
            url = f"http://127.0.0.1:{port}"
            callers = {"portal": portal_caller(url), "official": official_caller(url)}
            for call in callers.values():
                measure(call, 20)  # warm up connections and caches
            results = {name: [] for name in callers}
            order = list(callers)
            for _ in range(options.rounds):
                # Swap which client goes first each round, so neither always
                # runs on a machine the other just warmed or loaded.
                for name in order:
                    results[name].append(measure(callers[name], options.calls))
                order.reverse()
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)

    print(f"{options.rounds} rounds x {options.calls} calls, medians per call")
    print(f"{'client':<10} {'CPU µs':>10} {'wall ms':>10}")
    medians = {}
    for name, samples in results.items():
        cpu = statistics.median(sample[0] for sample in samples) * 1e6
        wall = statistics.median(sample[1] for sample in samples) * 1e3
        medians[name] = cpu
        print(f"{name:<10} {cpu:>10.0f} {wall:>10.2f}")
    ratio = medians["portal"] / medians["official"]
    print(f"portal CPU / official CPU: {ratio:.2f} (target: at most 1.00)")


if __name__ == "__main__":
    main()
