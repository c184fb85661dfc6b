"""The admin's date links list the years and months in use, read by hops
along the creation-time index instead of a DISTINCT over every row."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import TruncMonth
from django.test.utils import CaptureQueriesContext

from onboarding.models import Submission

pytestmark = pytest.mark.django_db

# Edges a hop could get wrong: the turn of a year, both ends of a month, and
# the nights a European clock changes.
CREATED = [
    datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
    datetime(2026, 1, 1, 0, 10, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),
    datetime(2026, 3, 31, 22, 30, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 30, tzinfo=UTC),
    datetime(2026, 10, 31, 23, 59, tzinfo=UTC),
    datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
]


@pytest.fixture
def spread(make_submission):
    for created_at in CREATED:
        make_submission(created_at=created_at)


def as_django_lists(kind: str) -> list[datetime]:
    return list(QuerySet.datetimes(Submission.objects.all(), "created_at", kind))


@pytest.mark.parametrize("zone", ["UTC", "Europe/Amsterdam", "Asia/Jakarta"])
@pytest.mark.parametrize("kind", ["year", "month"])
def test_the_periods_in_use_are_the_ones_django_lists(spread, settings, zone, kind):
    settings.TIME_ZONE = zone

    periods = Submission.objects.all().datetimes("created_at", kind)

    assert periods == as_django_lists(kind)
    assert len(periods) == len(set(periods)) >= 2


def test_each_month_in_use_costs_one_lookup_and_no_more(spread):
    months = len(as_django_lists("month"))

    with CaptureQueriesContext(connection) as queries:
        Submission.objects.all().datetimes("created_at", "month")

    # One lookup per month found, and one that finds nothing after the last.
    assert len(queries) == months + 1
    assert all("DISTINCT" not in query["sql"] for query in queries)


def test_a_filtered_list_is_left_to_django(spread):
    filtered = Submission.objects.filter(created_at__year=2026)

    with CaptureQueriesContext(connection) as queries:
        periods = list(filtered.datetimes("created_at", "month"))

    assert len(queries) == 1
    assert periods == list(
        filtered.annotate(month=TruncMonth("created_at"))
        .order_by("month")
        .values_list("month", flat=True)
        .distinct()
    )
