"""Speed of the admin's submissions list on PostgreSQL, small and large.

Fills a scratch database with 100 failed submissions, times the list page and a
filtered list, then grows it to 100,000 submissions with 300,000 API calls and
times the same pages again. Reports the median time of several requests and
the number of queries of each.

    .venv/bin/python bench/admin_list.py [--large 100000] [--requests 7]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
BENCH_DATABASE = "isv_terms_admin_bench"
PAGES = {
    "list": {},
    "filtered": {"status__exact": "failed", "fixable_by__exact": "support"},
    # A space ID matches a row or two at either size: the search's own cost.
    "search": {"q": "000000000000042"},
}
# The same pages on a visit that reads the whole-table figures afresh, as the
# first one does after ADMIN_FIGURES_MAX_AGE.
FRESH = {f"{name} (fresh figures)": params for name, params in PAGES.items()}


def prepare_database() -> dict:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    env = {
        **os.environ,
        "DATABASE_URL": f"{POSTGRES_SERVER}/{BENCH_DATABASE}",
        "DJANGO_SECRET_KEY": "benchmark-only-secret-key",
        "DJANGO_DEBUG": "0",
    }
    # With DEBUG off, pages name static files by the manifest that
    # collectstatic writes, as in production.
    for command in (["migrate"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v0"],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
        )
    return env


# Two in three accepted, the rest failed or waiting, as in a busy month.
MIXED = ["accepted"] * 6 + ["failed", "retrying", "queued"]


def fill(count: int, user, statuses=MIXED, calls_per_submission: int = 3) -> None:
    """Add `count` submissions, each with its calls, in large batches."""
    from django.utils import timezone

    from onboarding.models import ApiCall, Submission

    rng = random.Random(count)  # noqa: S311  (sample data, not secrets)
    now = timezone.now()
    batch = 5000
    for start in range(0, count, batch):
        submissions = []
        for number in range(start, min(start + batch, count)):
            status = rng.choice(statuses)
            submissions.append(
                Submission(
                    id=uuid.uuid4(),
                    submitted_by=user,
                    form_token=uuid.uuid4(),
                    cust_space_id=f"{number:015d}",
                    company_name=f"Customer {number}",
                    office_address="Jl. Sudirman 1, Jakarta",
                    contact_email=f"legal{number}@customer.example",
                    country=rng.choice(["ID", "SG", "CN", "MY", "TH", "VN"]),
                    business_description="Order updates.",
                    agreement=f"agreements/bench/{number}.pdf",
                    agreement_name="agreement.pdf",
                    agreement_size=1000,
                    agreement_sha256="0" * 64,
                    status=status,
                    last_error_code="InternalError" if status == "failed" else "",
                    fixable_by="support" if status == "failed" else "",
                    created_at=now - timedelta(minutes=rng.randint(0, 60 * 24 * 90)),
                )
            )
        Submission.objects.bulk_create(submissions)
        ApiCall.objects.bulk_create(
            ApiCall(
                submission=submission,
                attempt=1,
                action=action,
                code="OK",
                request_id=str(uuid.uuid4()).upper(),
                outcome="ok",
            )
            for submission in submissions
            for action in ["GetChatappUploadAuthorization", "OSS:PutObject",
                           "SubmitIsvCustomerTerms"][:calls_per_submission]
        )  # fmt: skip


def settle(connection) -> None:
    """Leave the tables as autovacuum leaves a table that grew over months.

    Planner statistics, and pages marked all-visible, which index-only scans
    need to skip reading the rows themselves.
    """
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def measure(client, requests: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Figures kept from before the table grew belong to another table.
    cache.clear()
    results = {}
    for name, params in {**PAGES, **FRESH}.items():
        url = "/admin/onboarding/submission/"
        client.get(url, params, secure=True)  # warm caches
        timings = []
        for _ in range(requests):
            if name in FRESH:
                cache.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url, params, secure=True)
                timings.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{name} answered {response.status_code}")
        slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))
        drawn = len(response.context["cl"].result_list)
        results[name] = (statistics.median(timings), len(queries), drawn, slowest[:4])
    return results


def act_on_filtered_list(client, action: str) -> tuple[float, int, object]:
    """Run an action on the whole filtered list; return seconds, rows, answer."""
    from onboarding.models import Submission

    filtered = PAGES["filtered"]
    rows = Submission.objects.filter(**{
        name.removesuffix("__exact"): value for name, value in filtered.items()
    }).count()  # fmt: skip
    query = "&".join(f"{name}={value}" for name, value in filtered.items())
    started = time.perf_counter()
    response = client.post(
        f"/admin/onboarding/submission/?{query}",
        {
            "action": action,
            "select_across": "1",
            "index": "0",
            "_selected_action": ["0"],
            "confirm": "yes",
            "reason": "Benchmark",
        },
        secure=True,
    )
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 302):
        raise SystemExit(f"{action} answered {response.status_code}")
    return elapsed, rows, response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=7)
    options = parser.parse_args()

    env = prepare_database()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    sys.path.insert(0, str(PROJECT_ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    admin = get_user_model().objects.create_superuser("bench", "bench@example.com")
    client = Client()
    client.force_login(admin)

    # The small database's submissions all match the filter, so that both
    # pages draw a full page of 100 rows at both sizes: the comparison then
    # measures the table's size, not the number of rows drawn.
    fill(100, admin, statuses=["failed"])
    settle(connection)
    small = measure(client, options.requests)
    started = time.perf_counter()
    fill(options.large - 100, admin)
    settle(connection)
    filled_in = time.perf_counter() - started
    large = measure(client, options.requests)

    print(f"PostgreSQL; filled and vacuumed {options.large} submissions with 3 "
          f"calls each in {filled_in:.0f} s; medians of {options.requests} "
          f"requests")  # fmt: skip
    heading = (
        f"{'page':<26} {'100 subm.':>10} {'queries':>8} {'rows':>5} "
        f"{options.large:>10} subm. {'queries':>8} {'rows':>5} {'ratio':>6}"
    )
    print(heading)
    for name in {**PAGES, **FRESH}:
        small_time, small_queries, small_rows, _ = small[name]
        large_time, large_queries, large_rows, _ = large[name]
        print(
            f"{name:<26} {small_time * 1000:>7.0f} ms {small_queries:>8} "
            f"{small_rows:>5} {large_time * 1000:>10.0f} ms {large_queries:>8} "
            f"{large_rows:>5} {large_time / small_time:>6.2f}"
        )
    print("target: the large pages take no more than twice the small ones")
    seconds, rows, response = act_on_filtered_list(client, "export_csv")
    print(f"export of the filtered list: {rows} rows, "
          f"{len(response.content) / 1e6:.1f} MB in {seconds:.1f} s, "
          f"with an event recorded on each row")  # fmt: skip
    seconds, rows, _ = act_on_filtered_list(client, "reprocess_selected")
    print(f"reprocess of the filtered list: {rows} rows queued again "
          f"in {seconds:.1f} s")  # fmt: skip
    for name in {**PAGES, **FRESH}:
        print(f"slowest queries of the large {name} page:")
        for query in large[name][3]:
            print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:110]}")


if __name__ == "__main__":
    main()
