"""Read-only queries shared by views, forms and commands."""

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from onboarding.models import WAITING_SINCE, WAITING_STATUSES, Submission


def submissions_of(user: AbstractBaseUser) -> QuerySet[Submission]:
    """Submissions the user may see as their own, newest first."""
    return Submission.objects.filter(submitted_by=user).order_by("-created_at")


def agreements_visible_to(user: AbstractBaseUser) -> QuerySet[Submission]:
    """Submissions whose agreement the user may download.

    Their own, and every one for those who review submissions (the Support and
    Reviewers roles, and superusers).
    """
    if user.has_perm("onboarding.view_submission"):
        return Submission.objects.all()
    return submissions_of(user)


def status_counts_of(user: AbstractBaseUser) -> dict[str, int]:
    rows = (
        Submission.objects.filter(submitted_by=user)
        .order_by()
        .values("status")
        .annotate(count=Count("pk"))
    )
    return {row["status"]: row["count"] for row in rows}


def submission_for_form_token(
    user: AbstractBaseUser, form_token: uuid.UUID
) -> Submission | None:
    return Submission.objects.filter(submitted_by=user, form_token=form_token).first()


def accepted_submission_for_space(cust_space_id: str) -> Submission | None:
    """The latest accepted submission for a space ID, from any staff member."""
    return (
        Submission.objects.filter(
            cust_space_id=cust_space_id, status=Submission.Status.ACCEPTED
        )
        .order_by("-created_at")
        .first()
    )


def submission_values_in_use(field_name: str) -> list[str]:
    """The distinct non-empty values of an indexed column, in order.

    SELECT DISTINCT reads every row; hopping from one value to the next
    through the column's index reads one entry per value instead, which keeps
    the admin's filters fast on a large table with few distinct values.
    """
    table = connection.ops.quote_name(Submission._meta.db_table)
    column = connection.ops.quote_name(Submission._meta.get_field(field_name).column)
    query = f"""
        WITH RECURSIVE used(value) AS (
            SELECT MIN({column}) FROM {table} WHERE {column} > ''
            UNION ALL
            SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > used.value)
            FROM used WHERE used.value IS NOT NULL
        )
        SELECT value FROM used WHERE value IS NOT NULL
    """  # noqa: S608  (names from the model's metadata, quoted; no user input)
    with connection.cursor() as cursor:
        cursor.execute(query)
        return [value for (value,) in cursor.fetchall()]


def oldest_waiting_since() -> datetime | None:
    """When the submission that has waited longest for a worker began to wait."""
    # The partial index submission_waiting_since answers this with one entry.
    waiting = Submission.objects.filter(status__in=WAITING_STATUSES)
    return waiting.aggregate(oldest=Min(WAITING_SINCE))["oldest"]


@dataclass(frozen=True)
class ReviewSummary:
    failed_for_submitter: int
    failed_for_support: int
    waiting_to_retry: int
    oldest_waiting_since: datetime | None
    by_status: dict[str, int]


def review_summary() -> ReviewSummary:
    """The counts a reviewer should see first, and each status's."""
    Status = Submission.Status
    # A handful of rows, one per status and who can fix it. Counting rows
    # rather than ids lets the submission_outcomes index alone answer, so
    # the whole table's heap is never read.
    rows = (
        Submission.objects.order_by()
        .values("status", "fixable_by")
        .annotate(count=Count("*"))
    )

    by_status: Counter[str] = Counter()
    failed = Counter()
    for row in rows:
        by_status[row["status"]] += row["count"]
        if row["status"] == Status.FAILED:
            failed[row["fixable_by"] == "submitter"] += row["count"]

    # The oldest wait is a second read, a moment after the counts, and is
    # skipped when nothing waited, so an empty queue never shows an age. A
    # worker taking the last waiting submission in between leaves a count
    # with no age in this one answer; the next agrees again.
    waiting = any(by_status[status] for status in WAITING_STATUSES)
    return ReviewSummary(
        failed_for_submitter=failed[True],
        failed_for_support=failed[False],
        waiting_to_retry=by_status[Status.RETRYING],
        oldest_waiting_since=oldest_waiting_since() if waiting else None,
        by_status=dict(by_status),
    )


def daily_outcomes(days: int = 30) -> list[dict]:
    """Submissions created on each of the last `days` days, by outcome."""
    Status = Submission.Status
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    # A bound on the column itself, rather than on its date, can use the index.
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    rows = (
        Submission.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        # Statuses, never null, are counted rather than ids: the
        # submission_newest_status index holds the date and status, and
        # answers alone.
        .annotate(
            accepted=Count("status", filter=Q(status=Status.ACCEPTED)),
            failed=Count("status", filter=Q(status=Status.FAILED)),
            in_progress=Count(
                "status", filter=~Q(status__in=[Status.ACCEPTED, Status.FAILED])
            ),
        )
        .order_by()
    )
    by_day = {row["day"]: row for row in rows}
    return [
        {
            "day": day,
            "accepted": by_day.get(day, {}).get("accepted", 0),
            "failed": by_day.get(day, {}).get("failed", 0),
            "in_progress": by_day.get(day, {}).get("in_progress", 0),
        }
        for day in (first + timedelta(days=n) for n in range(days))
    ]
