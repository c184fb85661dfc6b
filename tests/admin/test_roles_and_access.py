import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from onboarding.models import ApiCall
from onboarding.selectors import submission_values_in_use
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:onboarding_submission_changelist")


def test_the_roles_exist_with_their_permissions():
    support = set(
        Group.objects.get(name="Support").permissions.values_list("codename", flat=True)
    )
    reviewers = set(
        Group.objects.get(name="Reviewers").permissions.values_list(
            "codename", flat=True
        )
    )

    assert reviewers == {"view_submission", "view_apicall", "view_submissionevent"}
    assert support == reviewers | {
        "reprocess_submission",
        "export_submission",
        "resume_pipeline",
    }
    assert not any(code.startswith(("change_", "delete_", "add_")) for code in support)


@pytest.mark.parametrize("persona", ["support", "reviewer", "administrator"])
def test_review_roles_and_admins_reach_the_submissions_list(
    client, request, persona, make_submission
):
    make_submission()
    client.force_login(request.getfixturevalue(persona))

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert "Nusantara Kopi PT" in response.content.decode()


def test_a_staff_user_without_a_role_cannot_reach_the_admin(client, db):
    client.force_login(make_user("stan", is_staff=True))

    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_isv_staff_cannot_reach_the_admin(staff_client):
    assert staff_client.get(LIST_URL).status_code == 302


@pytest.mark.parametrize("persona", ["support", "reviewer"])
def test_review_roles_can_neither_edit_nor_delete(
    client, request, persona, make_submission
):
    submission = make_submission()
    client.force_login(request.getfixturevalue(persona))
    change_url = reverse("admin:onboarding_submission_change", args=[submission.pk])
    delete_url = reverse("admin:onboarding_submission_delete", args=[submission.pk])

    page = client.get(change_url).content.decode()
    posted = client.post(change_url, {"company_name": "Changed"})

    assert 'name="company_name"' not in page
    assert posted.status_code == 403
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    submission.refresh_from_db()
    assert submission.company_name == "Nusantara Kopi PT"


def test_the_submission_page_shows_its_calls_and_a_download_link(
    client, reviewer, make_submission
):
    submission = make_submission()
    ApiCall.objects.create(
        submission=submission,
        attempt=1,
        action="SubmitIsvCustomerTerms",
        code="Unknown.ResourceOwnerId",
        request_id="REQ-42",
        response={"Code": "Unknown.ResourceOwnerId", "Message": "not yours"},
        outcome="submitter",
    )
    client.force_login(reviewer)

    page = client.get(
        reverse("admin:onboarding_submission_change", args=[submission.pk])
    ).content.decode()

    assert "REQ-42" in page
    assert "not yours" in page
    assert reverse("onboarding:agreement_download", args=[submission.pk]) in page


@pytest.mark.parametrize("persona", ["support", "reviewer", "administrator"])
def test_review_roles_download_any_agreement(client, request, persona, make_submission):
    submission = make_submission()
    client.force_login(request.getfixturevalue(persona))

    response = client.get(
        reverse("onboarding:agreement_download", args=[submission.pk])
    )

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_the_list_is_searchable_by_request_id(client, support, make_submission):
    wanted = make_submission(company_name="Wanted Ltd")
    make_submission(company_name="Other Ltd")
    ApiCall.objects.create(
        submission=wanted, attempt=1, action="SubmitIsvCustomerTerms", request_id="R-1"
    )
    client.force_login(support)

    page = client.get(LIST_URL, {"q": "R-1"}).content.decode()

    assert "Wanted Ltd" in page
    assert "Other Ltd" not in page


def test_a_request_id_search_keeps_the_lists_filters_and_shows_each_row_once(
    client, support, make_submission
):
    failed = make_submission(company_name="Failed Ltd", status="failed")
    accepted = make_submission(company_name="Accepted Ltd", status="accepted")
    for submission in (failed, failed, accepted):
        ApiCall.objects.create(
            submission=submission, attempt=1, action="OSS:PutObject", request_id="R-7"
        )
    client.force_login(support)

    page = client.get(LIST_URL, {"q": "R-7", "status__exact": "failed"}).content
    page = page.decode()

    assert page.count(">Failed Ltd<") == 1
    assert "Accepted Ltd" not in page


def count_list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST_URL).status_code == 200
    return len(queries)


def test_the_list_costs_the_same_queries_for_10_and_200_rows(
    client, administrator, make_submission
):
    client.force_login(administrator)
    for _ in range(10):
        make_submission()
    count_list_queries(client)  # the first visit creates the pipeline's state row
    few = count_list_queries(client)
    for _ in range(190):
        make_submission()

    assert count_list_queries(client) == few


def test_the_country_filter_offers_only_countries_in_use(
    client, support, make_submission
):
    make_submission(country="SG", company_name="Singapore Ltd")
    make_submission(country="ID", company_name="Jakarta PT")
    client.force_login(support)

    page = client.get(LIST_URL).content.decode()
    filtered = client.get(LIST_URL, {"country": "SG"}).content.decode()

    assert "?country=SG" in page
    assert "Afghanistan" not in page
    assert "Singapore Ltd" in filtered
    assert "Jakarta PT" not in filtered


def test_the_error_code_filter_offers_the_codes_in_use_in_order(
    client, support, make_submission
):
    make_submission(status="failed", last_error_code="Ram.PermissionDeny")
    make_submission(status="failed", last_error_code="InternalError")
    make_submission(status="failed", last_error_code="InternalError")
    make_submission(status="accepted", last_error_code="", company_name="Fine PT")
    client.force_login(support)

    page = client.get(LIST_URL).content.decode()
    filtered = client.get(LIST_URL, {"last_error_code": "InternalError"})

    assert submission_values_in_use("last_error_code") == [
        "InternalError",
        "Ram.PermissionDeny",
    ]
    assert "?last_error_code=Ram.PermissionDeny" in page
    assert page.index("?last_error_code=InternalError") < page.index(
        "?last_error_code=Ram.PermissionDeny"
    )
    assert filtered.context["cl"].result_count == 2
    assert "Fine PT" not in filtered.content.decode()
