import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.models import Submission

pytestmark = pytest.mark.django_db

LIST_URL = reverse("onboarding:submission_list")


def companies_on(response) -> list[str]:
    return [submission.company_name for submission in response.context["submissions"]]


def test_it_lists_only_the_users_own_submissions(
    staff_client, other_staff, make_submission
):
    make_submission(company_name="Mine")
    make_submission(company_name="Bruno's", submitted_by=other_staff)

    response = staff_client.get(LIST_URL)

    assert companies_on(response) == ["Mine"]
    assert "Bruno" not in response.content.decode()


def test_it_shows_the_newest_first(staff_client, make_submission):
    now = timezone.now()
    make_submission(company_name="Older", created_at=now - datetime.timedelta(days=1))
    make_submission(company_name="Newer", created_at=now)

    assert companies_on(staff_client.get(LIST_URL)) == ["Newer", "Older"]


def test_it_shows_each_status_as_a_badge_in_plain_words(staff_client, make_submission):
    make_submission(status=Submission.Status.RETRYING)

    page = staff_client.get(LIST_URL).content.decode()

    assert '<span class="badge text-bg-warning">Waiting to retry</span>' in page


def test_it_filters_by_status_and_counts_each(staff_client, make_submission):
    make_submission(company_name="Done", status=Submission.Status.ACCEPTED)
    make_submission(company_name="Broken", status=Submission.Status.FAILED)
    make_submission(company_name="Also broken", status=Submission.Status.FAILED)

    response = staff_client.get(LIST_URL, {"status": "failed"})

    assert sorted(companies_on(response)) == ["Also broken", "Broken"]
    counts = {value: count for value, _, count in response.context["status_choices"]}
    assert counts["failed"] == 2
    assert counts["accepted"] == 1
    assert counts["queued"] == 0
    assert response.context["total_count"] == 3


def test_an_unknown_status_filter_shows_everything(staff_client, make_submission):
    make_submission()

    response = staff_client.get(LIST_URL, {"status": "bogus"})

    assert len(companies_on(response)) == 1
    assert response.context["status_filter"] == ""


def test_it_pages_through_long_lists(staff_client, make_submission):
    now = timezone.now()
    for number in range(25):
        make_submission(
            company_name=f"Company {number:02}",
            created_at=now - datetime.timedelta(minutes=number),
        )

    first = staff_client.get(LIST_URL)
    second = staff_client.get(LIST_URL, {"page": 2})

    assert len(companies_on(first)) == 20
    assert companies_on(second) == [f"Company {n:02}" for n in range(20, 25)]
    assert "Page 1 of 2" in first.content.decode()


def test_an_empty_list_invites_a_first_submission(staff_client):
    page = staff_client.get(LIST_URL).content.decode()

    assert "You have not submitted any customer" in page
