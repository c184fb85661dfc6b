"""Read-only queries shared by views, forms and commands."""

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, QuerySet

from onboarding.models import Submission


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
