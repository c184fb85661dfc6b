"""The review queue as reviewers read it: the list's columns, order, search and
filters, a submission's page, the pause banner and the reprocess estimate."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import strip_tags

from onboarding.models import ApiCall, PipelineState, Submission, SubmissionEvent
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:onboarding_submission_changelist")
Status = Submission.Status

CELL = re.compile(r'<t[dh] class="field-(\w+)[^"]*">(.*?)</t[dh]>', re.DOTALL)


def rows(response) -> list[dict[str, str]]:
    """The list's rows as drawn, each a column's name to its cell's HTML."""
    table = response.content.decode().split('<table id="result_list">', 1)[1]
    body = table.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [dict(CELL.findall(row)) for row in body.split("</tr>") if "<td" in row]


def companies(response) -> list[str]:
    return [html.unescape(strip_tags(row["company_name"])) for row in rows(response)]


def as_listed(moment: datetime) -> str:
    # How the admin draws a datetime in a column: local time, localized.
    return formats.localize(timezone.template_localtime(moment))


def sidebar_link(response, title: str, display: str) -> str:
    """The query string of one of the list's filter links, as the sidebar has it."""
    changelist = response.context["cl"]
    [spec] = [spec for spec in changelist.filter_specs if spec.title == title]
    [choice] = [
        choice
        for choice in spec.choices(changelist)
        if str(choice["display"]) == display
    ]
    return choice["query_string"]


def test_the_list_shows_each_rows_columns_and_status_badge(
    client, support, staff, make_submission
):
    created = datetime(2026, 3, 14, 9, 26, tzinfo=UTC)
    failed = make_submission(
        company_name="Failed Kopi PT",
        cust_space_id="111111111111111",
        country="SG",
        status=Status.FAILED,
        attempts=4,
        last_error_code="InternalError",
        created_at=created,
    )
    make_submission(
        company_name="Accepted Teh PT",
        status=Status.ACCEPTED,
        created_at=created - timedelta(days=1),
    )
    failed.refresh_from_db()
    client.force_login(support)

    response = client.get(LIST_URL)

    by_company = {strip_tags(row["company_name"]): row for row in rows(response)}
    failed_row = by_company["Failed Kopi PT"]
    accepted_row = by_company["Accepted Teh PT"]
    assert {column: strip_tags(cell) for column, cell in failed_row.items()} == {
        "company_name": "Failed Kopi PT",
        "cust_space_id": "111111111111111",
        "country_column": "Singapore",
        "status_column": "Failed",
        "attempts": "4",
        "last_error_code": "InternalError",
        "submitted_by": staff.get_username(),
        "created_at": as_listed(created),
        "updated_at": as_listed(failed.updated_at),
    }
    assert failed_row["status_column"] == (
        '<span class="badge text-bg-danger">Failed</span>'
    )
    assert accepted_row["status_column"] == (
        '<span class="badge text-bg-success">Accepted</span>'
    )


def test_the_list_shows_the_newest_submissions_first(client, support, make_submission):
    now = timezone.now()
    # Stored out of order, so that the order of storing cannot pass for it.
    make_submission(company_name="Middle PT", created_at=now - timedelta(hours=1))
    make_submission(company_name="Newest PT", created_at=now)
    make_submission(company_name="Oldest PT", created_at=now - timedelta(hours=2))
    client.force_login(support)

    response = client.get(LIST_URL)

    assert companies(response) == ["Newest PT", "Middle PT", "Oldest PT"]


@pytest.mark.parametrize(
    "term",
    ["lpha trad", "legal@alpha-trading.example", "111111111111111"],
    ids=["part of the company", "contact email", "space ID"],
)
def test_the_list_finds_a_submission_by_what_reviewers_know_of_it(
    client, support, make_submission, term
):
    make_submission(
        company_name="Alpha Trading PT",
        contact_email="legal@alpha-trading.example",
        cust_space_id="111111111111111",
    )
    make_submission(
        company_name="Beta Logistics PT",
        contact_email="legal@beta-logistics.example",
        cust_space_id="222222222222222",
    )
    client.force_login(support)

    response = client.get(LIST_URL, {"q": term})

    assert companies(response) == ["Alpha Trading PT"]


def test_the_list_narrows_to_who_can_fix_a_failure(client, support, make_submission):
    make_submission(
        company_name="Submitter Fix PT", status=Status.FAILED, fixable_by="submitter"
    )
    make_submission(
        company_name="Support Fix PT", status=Status.FAILED, fixable_by="support"
    )
    make_submission(company_name="Accepted PT", status=Status.ACCEPTED)
    client.force_login(support)
    everything = client.get(LIST_URL)

    link = sidebar_link(everything, "who can fix it", "The submitter")
    response = client.get(LIST_URL + link)

    assert companies(response) == ["Submitter Fix PT"]


def test_the_list_narrows_to_the_past_seven_days(client, support, make_submission):
    now = timezone.now()
    make_submission(company_name="This Week PT", created_at=now)
    make_submission(company_name="Last Month PT", created_at=now - timedelta(days=30))
    client.force_login(support)
    everything = client.get(LIST_URL)

    link = sidebar_link(everything, "created", "Past 7 days")
    response = client.get(LIST_URL + link)

    assert sorted(companies(everything)) == ["Last Month PT", "This Week PT"]
    assert companies(response) == ["This Week PT"]


def test_the_lists_date_links_narrow_it_to_a_year(client, support, make_submission):
    now = timezone.now()
    old = now - timedelta(days=400)
    make_submission(company_name="This Year PT", created_at=now)
    make_submission(company_name="Long Ago PT", created_at=old)
    client.force_login(support)
    year = timezone.localtime(old).year
    everything = client.get(LIST_URL).content.decode()

    response = client.get(LIST_URL, {"created_at__year": year})

    assert f"?created_at__year={year}" in everything
    assert companies(response) == ["Long Ago PT"]


def test_the_list_narrows_to_one_submitter(
    client, support, staff, other_staff, make_submission
):
    make_submission(company_name="Amira's PT")
    make_submission(company_name="Bruno's PT", submitted_by=other_staff)
    client.force_login(support)
    everything = client.get(LIST_URL)

    link = sidebar_link(everything, "submitted by", other_staff.get_username())
    response = client.get(LIST_URL + link)

    assert companies(response) == ["Bruno's PT"]


def test_the_submission_page_lists_its_calls_newest_first(
    client, reviewer, make_submission
):
    submission = make_submission()
    now = timezone.now()
    for request_id, started_at in [
        ("REQ-MIDDLE", now - timedelta(minutes=1)),
        ("REQ-OLDEST", now - timedelta(minutes=2)),
        ("REQ-NEWEST", now),
    ]:
        ApiCall.objects.create(
            submission=submission,
            attempt=1,
            action="SubmitIsvCustomerTerms",
            request_id=request_id,
            started_at=started_at,
        )
    client.force_login(reviewer)

    page = client.get(
        reverse("admin:onboarding_submission_change", args=[submission.pk])
    ).content.decode()

    calls = page.split('id="api_calls-group"', 1)[1]
    newest_first = ["REQ-NEWEST", "REQ-MIDDLE", "REQ-OLDEST"]
    positions = [calls.index(f"<p>{request_id}</p>") for request_id in newest_first]
    assert positions == sorted(positions)


def test_the_pause_banner_says_why_and_since_when(client, reviewer):
    paused_at = datetime(2026, 3, 14, 9, 26, tzinfo=UTC)
    PipelineState.objects.create(
        pk=1,
        paused=True,
        paused_at=paused_at,
        error_code="Ram.PermissionDeny",
        reason="You are not authorized to do this action.",
    )
    client.force_login(reviewer)

    page = client.get(LIST_URL).content.decode()

    banner = page.split('id="pipeline-paused"', 1)[1].split("</div>", 1)[0]
    since = formats.date_format(timezone.localtime(paused_at), "DATETIME_FORMAT")
    assert since in banner
    assert "You are not authorized to do this action." in banner


def change_page_queries(client, submission) -> int:
    url = reverse("admin:onboarding_submission_change", args=[submission.pk])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def add_events(submission, count: int) -> None:
    # Each by a person of their own, as on a real page, so that no user kept
    # from an earlier row can hide a read per event.
    start = submission.events.count()
    for number in range(start, start + count):
        SubmissionEvent.objects.create(
            submission=submission,
            kind="reprocessed",
            actor=make_user(f"actor-{number}"),
            message=f"Reprocessed, time {number}.",
        )


def add_calls(submission, count: int) -> None:
    start = submission.api_calls.count()
    for number in range(start, start + count):
        ApiCall.objects.create(
            submission=submission,
            attempt=number + 1,
            action="SubmitIsvCustomerTerms",
            request_id=f"REQ-{number}",
            code="InternalError",
            response={"Code": "InternalError", "RequestId": f"REQ-{number}"},
            outcome="retryable",
        )


@pytest.mark.parametrize("add", [add_events, add_calls], ids=["events", "calls"])
def test_the_submission_page_costs_the_same_queries_for_1_and_20_rows(
    client, support, make_submission, add
):
    submission = make_submission()
    add(submission, 1)
    client.force_login(support)
    change_page_queries(client, submission)  # warms what a first visit loads once
    one = change_page_queries(client, submission)

    add(submission, 19)

    assert change_page_queries(client, submission) == one


def reprocess_confirmation(client, submissions) -> str:
    response = client.post(
        LIST_URL,
        {
            "action": "reprocess_selected",
            "_selected_action": [str(submission.pk) for submission in submissions],
        },
    )
    page = response.content.decode()
    return page.split('id="reprocess-duration">', 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    ("selected", "shown"),
    [
        # One submit call each, spaced by the rate limiter's margin: 10 calls
        # 1.1 / 5 s apart take 2.2 s, rounded up.
        (10, "at least 3 seconds."),
        # 0.22 s: the one call still waits its turn, so never "0 seconds".
        (1, "at least 1 second."),
    ],
)
def test_the_reprocess_confirmation_states_the_time_at_the_rate_limit(
    client, support, make_submission, settings, selected, shown
):
    settings.CHATAPP_RATE_LIMIT = 5
    failed = [make_submission(status=Status.FAILED) for _ in range(selected)]
    client.force_login(support)

    duration = reprocess_confirmation(client, failed)

    assert duration.endswith(shown)


def test_the_submission_page_shows_every_field_of_the_submission():
    from onboarding.admin import SubmissionAdmin

    shown = {
        field
        for _title, options in SubmissionAdmin.fieldsets
        for field in options["fields"]
    }
    # The file and its original name are shown as the download link and the
    # name of the file in storage.
    stand_ins = {
        "agreement": "agreement_stored_as",
        "agreement_name": "agreement_download",
    }

    for field in Submission._meta.concrete_fields:
        assert stand_ins.get(field.name, field.name) in shown, field.name


def test_the_calls_history_shows_requests_and_answers_indented_and_escaped(
    client, reviewer, make_submission
):
    submission = make_submission()
    ApiCall.objects.create(
        submission=submission,
        attempt=1,
        action="SubmitIsvCustomerTerms",
        request={"CustName": "<b>Kopi</b>", "CustSpaceId": "293483938849493"},
        response={"Code": "Ram.PermissionDeny", "AccessDeniedDetail": "x"},
        access_denied_detail="NoPermissionType: ImplicitDeny",
        finished_at=timezone.now(),
    )
    client.force_login(reviewer)

    page = client.get(
        reverse("admin:onboarding_submission_change", args=[submission.pk])
    ).content.decode()

    calls = page.split('id="api_calls-group"', 1)[1]
    assert (
        '<pre class="api-json">{\n  &quot;CustName&quot;: &quot;&lt;b&gt;Kopi'
        "&lt;/b&gt;&quot;,\n  &quot;CustSpaceId&quot;: &quot;293483938849493&quot;\n}"
        "</pre>"
    ) in calls
    assert "<b>Kopi</b>" not in page
    assert "NoPermissionType: ImplicitDeny" in calls
    assert "finished" in calls.lower()
