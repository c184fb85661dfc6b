"""The whole-table figures of the admin's review queue, kept for a short while.

Counting statuses, summing what needs attention, charting 30 days and listing
the months that hold submissions each read a large part of the table. They
change slowly next to how often reviewers open the list, so each process keeps
them for ADMIN_FIGURES_MAX_AGE seconds. Support's own actions forget them at
once, so a reviewer sees the effect of what they just did.
"""

from django.conf import settings
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import get_language

from onboarding.models import Submission
from onboarding.selectors import ReviewSummary, daily_outcomes, review_summary

PREFIX = "onboarding:review-figures:"
# Bumping the generation forgets every figure at once, the date hierarchy of
# each filtered list included, without knowing their keys.
GENERATION_KEY = f"{PREFIX}generation"


def _cached(name: str, compute):
    max_age = settings.ADMIN_FIGURES_MAX_AGE
    if max_age <= 0:
        return compute()

    generation = cache.get_or_set(GENERATION_KEY, 0, timeout=None)
    return cache.get_or_set(f"{PREFIX}{generation}:{name}", compute, timeout=max_age)


def forget_review_figures() -> None:
    """Make the next list read every figure afresh."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def status_counts() -> dict[str, int]:
    def count() -> dict[str, int]:
        return dict(
            Submission.objects.order_by()
            .values_list("status")
            .annotate(count=Count("pk"))
        )

    return _cached("status-counts", count)


class ReviewPaginator(Paginator):
    """Pages of the list; the whole table's size comes from the status counts.

    Counting every submission takes as long as the rest of the page on a
    large table; the status counts already hold the total. Within their age,
    the last page may be a few rows short or empty, never wrong elsewhere.
    """

    @cached_property
    def count(self) -> int:
        unfiltered = isinstance(self.object_list, QuerySet) and (
            not self.object_list.query.where
        )
        if unfiltered and self.object_list.model is Submission:
            return sum(status_counts().values())
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
