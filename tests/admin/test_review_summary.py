import uuid
from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from onboarding import services
from onboarding.admin_figures import ReviewPaginator
from onboarding.charts import daily_outcomes_svg
from onboarding.models import WAITING_STATUSES, Submission
from onboarding.selectors import daily_outcomes, review_summary

pytestmark = pytest.mark.django_db

Status = Submission.Status


def test_the_summary_counts_what_needs_attention(make_submission):
    now = timezone.now()
    make_submission(status=Status.FAILED, fixable_by="submitter")
    make_submission(status=Status.FAILED, fixable_by="support")
    make_submission(status=Status.FAILED, fixable_by="support")
    make_submission(status=Status.RETRYING, created_at=now - timedelta(hours=3))
    make_submission(status=Status.QUEUED, created_at=now - timedelta(hours=1))
    make_submission(status=Status.ACCEPTED, created_at=now - timedelta(days=2))

    summary = review_summary()

    assert (summary.failed_for_submitter, summary.failed_for_support) == (1, 2)
    assert summary.waiting_to_retry == 1
    assert summary.by_status == {"failed": 3, "retrying": 1, "queued": 1, "accepted": 1}
    assert abs(summary.oldest_waiting_since - (now - timedelta(hours=3))) < timedelta(
        seconds=1
    )


def test_the_oldest_waiting_counts_from_when_a_failure_was_sent_again(
    make_submission,
):
    now = timezone.now()
    failed = make_submission(status=Status.FAILED, created_at=now - timedelta(days=9))
    services.submission_reprocess(submission=failed, actor=None)
    make_submission(status=Status.RETRYING, created_at=now - timedelta(hours=2))

    summary = review_summary()

    assert abs(summary.oldest_waiting_since - (now - timedelta(hours=2))) < timedelta(
        seconds=5
    )


def test_daily_outcomes_cover_thirty_days_by_outcome(make_submission):
    now = timezone.now()
    make_submission(status=Status.ACCEPTED, created_at=now)
    make_submission(status=Status.FAILED, created_at=now)
    make_submission(status=Status.ACCEPTED, created_at=now - timedelta(days=3))
    make_submission(status=Status.ACCEPTED, created_at=now - timedelta(days=40))

    days = daily_outcomes(30)

    assert len(days) == 30
    assert days[-1]["day"] == timezone.localdate()
    assert (days[-1]["accepted"], days[-1]["failed"]) == (1, 1)
    assert days[-4]["accepted"] == 1
    assert sum(day["accepted"] for day in days) == 2


def test_the_chart_is_an_svg_with_a_bar_per_count():
    today = timezone.localdate()
    days = [
        {
            "day": today - timedelta(days=1),
            "accepted": 2,
            "failed": 0,
            "in_progress": 0,
        },
        {"day": today, "accepted": 1, "failed": 1, "in_progress": 1},
    ]

    svg = str(daily_outcomes_svg(days))

    assert svg.startswith("<svg")
    assert svg.count("<rect") == 4
    assert "2 accepted" in svg
    assert "<script" not in svg


def test_the_list_shows_the_summary_and_chart(client, support, make_submission):
    make_submission(status=Status.FAILED, fixable_by="submitter")
    client.force_login(support)

    page = client.get(
        reverse("admin:onboarding_submission_changelist")
    ).content.decode()

    assert 'id="review-summary"' in page
    assert "<strong>1</strong> failed, the submitter can fix" in page
    assert '<svg class="daily-outcomes"' in page


def test_the_lists_figures_are_kept_for_a_while_then_read_again(
    client, support, make_submission, settings
):
    settings.ADMIN_FIGURES_MAX_AGE = 30
    url = reverse("admin:onboarding_submission_changelist")
    make_submission(status=Status.FAILED, fixable_by="submitter")
    client.force_login(support)
    client.get(url)

    make_submission(status=Status.FAILED, fixable_by="submitter")
    kept = client.get(url).content.decode()
    cache.clear()  # as when the figures' time is up
    fresh = client.get(url).content.decode()

    assert "<strong>1</strong> failed, the submitter can fix" in kept
    assert "Failed (1)" in kept
    assert "<strong>2</strong> failed, the submitter can fix" in fresh
    assert "Failed (2)" in fresh


def in_another_process():
    # Each server process keeps figures in memory of its own.
    other = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    return override_settings(CACHES={"default": {**other, "LOCATION": "other"}})


@pytest.mark.parametrize(
    "served", [nullcontext, in_another_process], ids=["here", "elsewhere"]
)
def test_reprocessing_from_the_list_refreshes_its_figures_at_once(
    client, support, make_submission, settings, served
):
    settings.ADMIN_FIGURES_MAX_AGE = 30
    url = reverse("admin:onboarding_submission_changelist")
    failed = make_submission(status=Status.FAILED, fixable_by="support")
    client.force_login(support)
    before = client.get(url).content.decode()

    with served():
        client.post(
            url,
            {
                "action": "reprocess_selected",
                "_selected_action": [str(failed.pk)],
                "confirm": "yes",
            },
        )
    after = client.get(url).content.decode()

    assert "<strong>1</strong> failed, for support" in before
    assert "<strong>0</strong> failed, for support" in after
    assert "Queued (1)" in after


def test_a_change_no_action_made_leaves_the_kept_figures_in_every_process(
    client, support, make_submission, settings
):
    # The control of the test above: the figures are kept unless an action
    # tells every process to forget them.
    settings.ADMIN_FIGURES_MAX_AGE = 30
    url = reverse("admin:onboarding_submission_changelist")
    failed = make_submission(status=Status.FAILED, fixable_by="support")
    client.force_login(support)
    client.get(url)

    Submission.objects.filter(pk=failed.pk).update(status=Status.QUEUED)
    kept = client.get(url).content.decode()

    assert "<strong>1</strong> failed, for support" in kept
    assert "Failed (1)" in kept


def test_with_no_age_the_figures_are_read_on_every_visit(
    client, support, make_submission, settings
):
    settings.ADMIN_FIGURES_MAX_AGE = 0
    url = reverse("admin:onboarding_submission_changelist")
    client.force_login(support)
    client.get(url)

    make_submission(status=Status.FAILED, fixable_by="submitter")

    assert "Failed (1)" in client.get(url).content.decode()


def test_the_date_links_follow_the_lists_filters(client, support, make_submission):
    old = timezone.now() - timedelta(days=400)
    make_submission(status=Status.FAILED, created_at=old)
    make_submission(status=Status.ACCEPTED)
    client.force_login(support)
    url = reverse("admin:onboarding_submission_changelist")

    everything = client.get(url).content.decode()
    failed_only = client.get(url, {"status__exact": "failed"}).content.decode()

    assert f"created_at__year={old.year}" in everything
    assert f"created_at__year={timezone.now().year}" in everything
    assert f"created_at__year={old.year}" in failed_only
    assert f"created_at__year={timezone.now().year}" not in failed_only


def test_the_whole_lists_size_comes_from_the_kept_status_counts(
    client, support, make_submission, settings, monkeypatch
):
    settings.ADMIN_FIGURES_MAX_AGE = 30
    # As on a table too large to count on every visit.
    monkeypatch.setattr(ReviewPaginator, "EXACT_UP_TO", 0)
    url = reverse("admin:onboarding_submission_changelist")
    make_submission(status=Status.FAILED)
    client.force_login(support)
    client.get(url)

    make_submission(status=Status.FAILED)
    whole = client.get(url)
    filtered = client.get(url, {"status__exact": "failed"})

    assert whole.context["cl"].result_count == 1  # as counted a moment ago
    assert filtered.context["cl"].result_count == 2  # a filter counts afresh
    cache.clear()
    assert client.get(url).context["cl"].result_count == 2


def test_a_table_that_grew_past_a_page_since_its_small_size_was_kept_is_paged(
    client, support, make_submission, settings
):
    # The admin draws every row unpaged when the total fits on one page: a
    # kept total of one must not turn 150 rows into one page of 150.
    settings.ADMIN_FIGURES_MAX_AGE = 30
    url = reverse("admin:onboarding_submission_changelist")
    first = make_submission(status=Status.FAILED)
    client.force_login(support)
    client.get(url)

    Submission.objects.bulk_create(
        Submission(
            submitted_by=first.submitted_by,
            form_token=uuid.uuid4(),
            cust_space_id=f"grown-{number}",
            company_name=f"Grown {number}",
            office_address=first.office_address,
            contact_email=first.contact_email,
            country=first.country,
            business_description=first.business_description,
            agreement=first.agreement.name,
            agreement_name=first.agreement_name,
            agreement_size=first.agreement_size,
            agreement_sha256=first.agreement_sha256,
        )
        for number in range(150)
    )
    changelist = client.get(url).context["cl"]
    shown_all = client.get(url, {"all": ""}).context["cl"]

    assert changelist.result_count == 151
    assert len(changelist.result_list) == changelist.list_per_page == 100
    assert changelist.multi_page
    assert len(shown_all.result_list) == 151  # "Show all" is still offered


def test_the_exact_count_covers_every_total_the_admin_would_draw_unpaged():
    from onboarding.admin import SubmissionAdmin

    assert SubmissionAdmin.list_max_show_all <= ReviewPaginator.EXACT_UP_TO
    assert SubmissionAdmin.list_per_page <= ReviewPaginator.EXACT_UP_TO


def test_the_waiting_statuses_of_the_partial_index_are_the_models():
    # The index's condition is written out in its migration; a status renamed
    # in the model alone would leave the index unused, silently.
    assert set(WAITING_STATUSES) == {
        Submission.Status.QUEUED,
        Submission.Status.RETRYING,
    }
