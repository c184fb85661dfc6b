"""Submissions as CSV, safe to open in a spreadsheet."""

import csv
import io
from collections.abc import Iterable

from django.db.models import QuerySet

from onboarding.models import Submission

COLUMNS = [
    ("id", "id"),
    ("created_at", "created"),
    ("status", "status"),
    ("cust_space_id", "space ID"),
    ("company_name", "company name"),
    ("office_address", "office address"),
    ("contact_email", "contact email"),
    ("country", "country"),
    ("business_description", "business description"),
    ("agreement_name", "agreement file name"),
    ("attempts", "attempts"),
    ("last_error_code", "last error code"),
    ("failure_reason", "failure reason"),
    ("fixable_by", "who can fix it"),
    ("accepted_at", "accepted"),
    ("submitted_by__username", "submitted by"),
]

# A cell starting with one of these runs as a formula in common spreadsheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        # A leading apostrophe makes the spreadsheet show the text as it is.
        return "'" + text
    return text


def export_rows(submissions: QuerySet[Submission]) -> list[tuple]:
    """The exported values of each submission, its id first."""
    return list(submissions.values_list(*[name for name, _ in COLUMNS]))


def rows_csv(rows: Iterable[tuple]) -> str:
    """Rows from `export_rows` as CSV, with a heading and formulas neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in COLUMNS])
    for row in rows:
        writer.writerow([neutralise(value) for value in row])
    return out.getvalue()
