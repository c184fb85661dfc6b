"""On PostgreSQL, the figures above the admin's list are read off indexes alone.

They are read afresh once per ADMIN_FIGURES_MAX_AGE in every process, over the
whole table: reading its rows made that visit the slowest on a large table.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from onboarding.selectors import daily_outcomes, oldest_waiting_since, review_summary

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="query plans are PostgreSQL's"
    ),
]


def plans_of(read, *, allowed: list[str]) -> list[str]:
    """The plan of each query `read` makes, with only the `allowed` scans."""
    with CaptureQueriesContext(connection) as captured:
        read()

    plans = []
    with connection.cursor() as cursor:
        # A table this small is read whole whatever indexes it has; pricing
        # the other kinds of scan out shows whether the allowed ones can serve.
        # PostgreSQL considers index-only scans only with index scans allowed.
        for scan in ["seqscan", "bitmapscan", "indexscan", "indexonlyscan"]:
            setting = "on" if scan in allowed else "off"
            cursor.execute(f"SET LOCAL enable_{scan} = {setting}")
        for query in captured.captured_queries:
            cursor.execute(f"EXPLAIN {query['sql']}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_the_summary_counts_read_only_their_index(make_submission):
    make_submission(status="failed", fixable_by="support")

    counts, *_ = plans_of(review_summary, allowed=["indexscan", "indexonlyscan"])

    assert "Index Only Scan using submission_outcomes" in counts
    assert "Seq Scan" not in counts


def test_the_chart_reads_only_the_newest_first_index_with_statuses(make_submission):
    make_submission()

    (chart,) = plans_of(daily_outcomes, allowed=["indexscan", "indexonlyscan"])

    assert "Index Only Scan using submission_newest_status" in chart
    assert "Seq Scan" not in chart


def test_the_oldest_wait_is_read_off_its_partial_index(make_submission):
    make_submission(status="retrying")

    (oldest,) = plans_of(oldest_waiting_since, allowed=["indexscan"])

    assert "Index Scan using submission_waiting_since" in oldest
    assert "Seq Scan" not in oldest
