"""Throughput and latency of the submission pipeline against the local sandbox.

Queues a batch of submissions (100 by default), each for its own space ID, and
drains them with one and then two running worker processes while the sandbox enforces
ChatApp's 5 calls per second. Reports the elapsed time as a ratio to the ideal
(one submit call every 1/5 s), the throttled answers the sandbox gave and the
calls per submission. Then measures, on an idle portal with one worker, how
long a submission takes from the form's POST to "accepted".

    .venv/bin/python bench/pipeline_throughput.py --database sqlite
    .venv/bin/python bench/pipeline_throughput.py --database postgres
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DATABASE = "isv_terms_bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare_environment(database: str, scratch: Path, sandbox_url: str) -> dict:
    if database == "postgres":
        import psycopg

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as db:
            db.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
            db.execute(f"CREATE DATABASE {BENCH_DATABASE}")
        url = f"{POSTGRES_SERVER}/{BENCH_DATABASE}"
    else:
        url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ALIBABA_")},
        "DATABASE_URL": url,
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key",
        "DJANGO_DEBUG": "0",
        "DJANGO_MEDIA_ROOT": str(scratch / "media"),
        "CHATAPP_ENDPOINT": sandbox_url,
    }


def start(command: list[str], env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *command],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_up(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"nothing answered at {url}")


def sandbox_codes(sandbox_url: str) -> list[str]:
    calls = requests.get(f"{sandbox_url}/_sandbox/calls", timeout=10).json()
    return [call["code"] for call in calls]


def reset_pipeline() -> None:
    from django_tasks_db.models import DBTaskResult

    from onboarding.models import RateLimit, Submission

    Submission.objects.all().delete()
    DBTaskResult.objects.all().delete()
    RateLimit.objects.all().delete()


def queue_submissions(count: int, user, pdf: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onboarding.services import submission_create

    for number in range(count):
        submission_create(
            submitted_by=user,
            form_token=uuid.uuid4(),
            cust_space_id=f"9{number:014d}",
            company_name=f"Customer {number}",
            office_address="Jl. Sudirman 1, Jakarta",
            contact_email="legal@customer.example",
            country="ID",
            business_description="Order updates.",
            agreement=SimpleUploadedFile("agreement.pdf", pdf),
        )


def drain(env, user, pdf, *, workers: int, count: int, timeout: float) -> float:
    """Seconds from queueing the first submission to the last one's outcome.

    The workers start first and go idle, as on a running portal, so their
    start-up is not counted.
    """
    from onboarding.models import Submission

    processes = [start(["db_worker", "--interval", "0.1"], env) for _ in range(workers)]
    try:
        time.sleep(3)
        started = time.perf_counter()
        queue_submissions(count, user, pdf)
        deadline = started + timeout
        while (
            Submission.objects.filter(
                status__in=[Submission.Status.ACCEPTED, Submission.Status.FAILED]
            ).count()
            < count
        ):
            if time.perf_counter() > deadline:
                raise SystemExit("the submissions were not drained in time")
            time.sleep(0.05)
        return time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


def throughput(env, sandbox_url, user, pdf, *, workers: int, count: int) -> dict:
    from onboarding.models import ApiCall, Submission

    reset_pipeline()
    codes_before = len(sandbox_codes(sandbox_url))
    elapsed = drain(env, user, pdf, workers=workers, count=count, timeout=count * 2)
    codes = sandbox_codes(sandbox_url)[codes_before:]
    ideal = count / 5
    return {
        "workers": workers,
        "elapsed": elapsed,
        "ratio": elapsed / ideal,
        "throttled": sum(code == "System.LimitControl" for code in codes),
        "accepted": Submission.objects.filter(status="accepted").count(),
        "calls per submission": ApiCall.objects.count() / count,
    }


def latency(env, user, pdf, *, samples: int) -> list[float]:
    """Seconds from the form's POST to "accepted", one idle worker running."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.test.utils import setup_test_environment

    from onboarding.models import Submission

    setup_test_environment()
    reset_pipeline()
    client = Client()
    client.force_login(user)
    worker = start(["db_worker", "--interval", "0.1"], env)
    results = []
    try:
        time.sleep(2)  # let the worker start and go idle
        for number in range(samples):
            form = {
                "form_token": str(uuid.uuid4()),
                "cust_space_id": f"8{number:014d}",
                "company_name": "Latency Check Ltd",
                "office_address": "1 Harbour Road",
                "contact_email": "legal@latency.example",
                "country": "SG",
                "business_description": "Notifications.",
                "agreement": SimpleUploadedFile("agreement.pdf", pdf),
            }
            started = time.perf_counter()
            response = client.post("/submissions/new/", form)
            if response.status_code != 302:
                raise SystemExit(f"the form was refused: {response.status_code}")
            while not Submission.objects.filter(
                cust_space_id=form["cust_space_id"], status="accepted"
            ).exists():
                if time.perf_counter() - started > 30:
                    raise SystemExit("a submission was not accepted in 30 s")
                time.sleep(0.01)
            results.append(time.perf_counter() - started)
            time.sleep(1)  # idle again
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--submissions", type=int, default=100)
    parser.add_argument("--latency-samples", type=int, default=5)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        port = free_port()
        sandbox_url = f"http://127.0.0.1:{port}"
        env = prepare_environment(options.database, scratch, sandbox_url)
        sandbox = start(
            ["sandbox", "--port", str(port), "--data-dir", str(scratch / "sandbox")],
            env,
        )
        try:
            wait_until_up(f"{sandbox_url}/_sandbox/calls")
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"],
                cwd=PROJECT_ROOT,
                env=env,
                check=True,
            )
            os.environ.update(env)
            os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
            sys.path.insert(0, str(PROJECT_ROOT))
            import django

            django.setup()
            from django.contrib.auth import get_user_model

            from tests import documents

            user = get_user_model().objects.create_user("bench")
            pdf = documents.minimal_pdf()
            runs = [
                throughput(
                    env,
                    sandbox_url,
                    user,
                    pdf,
                    workers=workers,
                    count=options.submissions,
                )
                for workers in (1, 2)
            ]
            seconds = latency(env, user, pdf, samples=options.latency_samples)
        finally:
            sandbox.terminate()
            sandbox.wait(timeout=10)

    print(f"database: {options.database}, {options.submissions} submissions, 5 calls/s")
    print(f"{'workers':>7} {'elapsed s':>10} {'x ideal':>8} {'throttled':>9} "
          f"{'accepted':>8} {'calls/sub':>9}")  # fmt: skip
    for run in runs:
        print(
            f"{run['workers']:>7} {run['elapsed']:>10.1f} {run['ratio']:>8.2f} "
            f"{run['throttled']:>9} {run['accepted']:>8} "
            f"{run['calls per submission']:>9.2f}"
        )
    print("target: at most 1.15 x ideal and no throttled answers")
    median = statistics.median(seconds)
    print(
        f"POST to accepted on an idle portal: median {median:.2f} s, "
        f"max {max(seconds):.2f} s over {len(seconds)} (target: under 2 s)"
    )


if __name__ == "__main__":
    main()
