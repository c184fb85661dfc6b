"""The whole-table figures of the admin's review queue, kept for a short while.

Counting statuses, summing what needs attention, charting 30 days and listing
the months that hold submissions each read a large part of the table. They
change slowly next to how often reviewers open the list, so each process keeps
them for ADMIN_FIGURES_MAX_AGE seconds. Support's own actions forget them at
once in every process, so a reviewer sees the effect of what they just did,
whichever server draws the next page.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import get_language

from onboarding.models import PipelineState, Submission
from onboarding.selectors import ReviewSummary, daily_outcomes, review_summary

PREFIX = "onboarding:review-figures:"
# The version of the figures this visit of the list reads, read once with the
# pipeline's state rather than once for each figure.
visit_version: ContextVar[int | None] = ContextVar("visit_version", default=None)


@contextmanager
def one_visit(state: PipelineState) -> Iterator[None]:
    """Read every figure of one visit of the list at the state's version."""
    token = visit_version.set(state.figures_version)
    try:
        yield
    finally:
        visit_version.reset(token)


def _version() -> int:
    version = visit_version.get()
    if version is None:
        stored = PipelineState.objects.filter(pk=1).values_list(
            "figures_version", flat=True
        )
        version = stored.first() or 0
    return version


def _cached(name: str, compute):
    max_age = settings.ADMIN_FIGURES_MAX_AGE
    if max_age <= 0:
        return compute()

    # A new version leaves every figure kept under the old one unread, the
    # date hierarchy of each filtered list included, without knowing keys.
    key = f"{PREFIX}{_version()}:{name}"
    return cache.get_or_set(key, compute, timeout=max_age)


def forget_review_figures() -> None:
    """Make the next list, in any process, read every figure afresh."""
    bump = {"figures_version": F("figures_version") + 1}
    if not PipelineState.objects.filter(pk=1).update(**bump):
        PipelineState.current()
        PipelineState.objects.filter(pk=1).update(**bump)


def status_counts() -> dict[str, int]:
    return summary().by_status


class ReviewPaginator(Paginator):
    """Pages of the list; the whole table's size comes from the status counts.

    Counting every submission takes as long as the rest of the page on a
    large table; the status counts already hold the total. Within their age,
    the last page may be a few rows short or empty, never wrong elsewhere.

    A kept total that is small is counted again: the admin draws every row
    unpaged when the total fits on one page (or under "Show all"), and a
    table that grew since would then be drawn whole. Counting a table that
    small costs nothing; one that grew since is counted until the figures
    are read afresh.
    """

    # Above the admin's `list_max_show_all`, so that a kept total this large
    # always means pages, whatever the table holds now.
    EXACT_UP_TO = 1000

    @cached_property
    def count(self) -> int:
        unfiltered = isinstance(self.object_list, QuerySet) and (
            not self.object_list.query.where
        )
        if unfiltered and self.object_list.model is Submission:
            kept = sum(status_counts().values())
            if kept > self.EXACT_UP_TO:
                return kept
        return super().count


def summary() -> ReviewSummary:
    return _cached("summary", review_summary)


def last_30_days() -> list[dict]:
    return _cached("last-30-days", lambda: daily_outcomes(30))


def date_hierarchy_of(changelist) -> dict:
    """Django's date drill-down for this list, its filters and language."""
    # The links and labels depend on the list's filters and the language.
    key = f"dates:{get_language()}:{changelist.get_query_string()}"
    return _cached(key, lambda: date_hierarchy(changelist))
