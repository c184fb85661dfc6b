import csv
import io

import pytest
from django.urls import reverse

from onboarding.models import PipelineState, Submission, SubmissionEvent
from tests.conftest import pause_processing

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:onboarding_submission_changelist")
Status = Submission.Status


def act(client, action: str, submissions, **extra):
    data = {"action": action, "_selected_action": [str(s.pk) for s in submissions]}
    data.update(extra)
    return client.post(LIST_URL, data)


@pytest.fixture
def mixed(make_submission):
    return [
        make_submission(status=Status.FAILED, last_error_code="InternalError"),
        make_submission(status=Status.FAILED, last_error_code="InternalError"),
        make_submission(status=Status.FAILED, last_error_code="Ram.PermissionDeny"),
        make_submission(status=Status.ACCEPTED),
        make_submission(status=Status.PROCESSING),
    ]


def test_reprocess_asks_for_confirmation_with_its_figures(client, support, mixed):
    client.force_login(support)

    page = act(client, "reprocess_selected", mixed).content.decode()

    assert "3 failed submissions will be queued again" in page
    counts = 'class="reprocess-count">'
    assert f"<code>InternalError</code></td><td {counts}2<" in page
    assert f"<code>Ram.PermissionDeny</code></td><td {counts}1<" in page
    assert "1: accepted already" in page
    assert "1: being processed" in page
    # 3 submit calls, 0.22 s apart at 5 per second: 0.66 s, rounded up.
    assert "at least 1 second." in page
    assert Submission.objects.filter(status=Status.QUEUED).count() == 0


def test_confirming_queues_them_and_records_who_and_why(client, support, mixed):
    client.force_login(support)

    response = act(
        client, "reprocess_selected", mixed, confirm="yes", reason="Keys rotated"
    )

    assert response.status_code == 302
    assert Submission.objects.filter(status=Status.QUEUED).count() == 3
    events = SubmissionEvent.objects.filter(kind="reprocessed")
    assert events.count() == 3
    assert {(e.actor, e.message) for e in events} == {(support, "Keys rotated")}
    assert Submission.objects.filter(status=Status.ACCEPTED).count() == 1


def test_a_reviewer_cannot_reprocess(client, reviewer, mixed):
    client.force_login(reviewer)

    page = client.get(LIST_URL).content.decode()
    act(client, "reprocess_selected", mixed, confirm="yes")

    assert "reprocess_selected" not in page
    assert Submission.objects.filter(status=Status.QUEUED).count() == 0
    one = reverse("admin:onboarding_submission_reprocess", args=[mixed[0].pk])
    assert client.post(one, {"confirm": "yes"}).status_code == 403


def test_the_submission_page_has_its_own_reprocess_button(client, support, mixed):
    client.force_login(support)
    failed = mixed[0]
    change = reverse("admin:onboarding_submission_change", args=[failed.pk])
    one = reverse("admin:onboarding_submission_reprocess", args=[failed.pk])

    assert one in client.get(change).content.decode()
    confirmation = client.get(one).content.decode()
    assert "1 failed submission will be queued again" in confirmation
    response = client.post(one, {"confirm": "yes", "reason": "Try again"})

    assert response["Location"] == change
    failed.refresh_from_db()
    assert failed.status == Status.QUEUED


def test_export_neutralises_formulas_and_records_the_export(
    client, support, make_submission
):
    dangerous = make_submission(
        company_name='=HYPERLINK("http://evil")',
        office_address="+1 street",
        business_description="@SUM(A1)",
        contact_email="-a@b.example",
    )
    plain = make_submission(company_name="Plain Ltd")
    client.force_login(support)

    response = act(client, "export_csv", [dangerous, plain], confirm="yes")

    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    by_company = {row["company name"]: row for row in rows}
    row = by_company['\'=HYPERLINK("http://evil")']
    assert row["office address"] == "'+1 street"
    assert row["business description"] == "'@SUM(A1)"
    assert row["contact email"] == "'-a@b.example"
    assert "Plain Ltd" in by_company
    assert SubmissionEvent.objects.filter(kind="exported", actor=support).count() == 2


def test_export_asks_for_a_reason_first_and_records_it(
    client, support, make_submission
):
    chosen = [make_submission(), make_submission()]
    client.force_login(support)

    confirmation = act(client, "export_csv", chosen)
    page = confirmation.content.decode()
    assert "2 submissions will be exported" in page
    assert 'name="reason"' in page
    assert not SubmissionEvent.objects.exists()

    response = act(client, "export_csv", chosen, confirm="yes", reason="Audit Q4")

    assert response["Content-Type"].startswith("text/csv")
    events = SubmissionEvent.objects.filter(kind="exported")
    assert {(e.submission_id, e.actor, e.message) for e in events} == {
        (s.pk, support, "Audit Q4") for s in chosen
    }


def test_exporting_all_of_a_filtered_list_exports_just_that_list(
    client, support, make_submission
):
    failed = make_submission(status=Status.FAILED, company_name="Failed Co")
    also_failed = make_submission(status=Status.FAILED, company_name="Also Co")
    make_submission(status=Status.ACCEPTED, company_name="Accepted Co")
    client.force_login(support)
    filtered = f"{LIST_URL}?status={Status.FAILED}"
    # As the list posts it: the one row ticked and "select all N".
    everything = {
        "action": "export_csv",
        "select_across": "1",
        "_selected_action": [str(failed.pk)],
    }

    confirmation = client.post(filtered, {**everything, "index": "0"})
    page = confirmation.content.decode()
    assert "2 submissions will be exported" in page
    assert 'name="select_across" value="1"' in page

    response = client.post(filtered, {**everything, "confirm": "yes"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(row["company name"] for row in rows) == ["Also Co", "Failed Co"]
    exported = SubmissionEvent.objects.filter(kind="exported")
    assert {e.submission_id for e in exported} == {failed.pk, also_failed.pk}


def test_a_reviewer_cannot_export(client, reviewer, make_submission):
    submission = make_submission()
    client.force_login(reviewer)

    response = act(client, "export_csv", [submission], confirm="yes")

    assert not response.get("Content-Type", "").startswith("text/csv")
    assert not SubmissionEvent.objects.exists()


def test_the_pause_shows_above_the_list_and_support_lifts_it(
    client, support, make_submission
):
    waiting = make_submission(status=Status.RETRYING)
    pause_processing()
    client.force_login(support)

    page = client.get(LIST_URL).content.decode()
    response = client.post(
        reverse("admin:onboarding_pipeline_resume"), {"reason": "RAM policy fixed"}
    )

    assert 'id="pipeline-paused"' in page
    assert "Ram.PermissionDeny" in page
    assert "Lift the pause" in page
    assert response.status_code == 302
    assert not PipelineState.current().paused
    event = waiting.events.get()
    assert (event.kind, event.actor) == ("resumed", support)
    assert "RAM policy fixed" in event.message


def test_a_lifted_pause_is_recorded_and_shown_even_with_nothing_waiting(
    client, support
):
    pause_processing()
    client.force_login(support)

    client.post(reverse("admin:onboarding_pipeline_resume"), {"reason": "Keys rotated"})
    page = client.get(LIST_URL).content.decode()

    state = PipelineState.current()
    assert (state.resumed_by, state.resume_reason) == (support, "Keys rotated")
    assert state.resumed_at is not None
    assert 'id="pipeline-paused"' not in page
    shown = page.split('id="pipeline-resumed">', 1)[1].split("</p>", 1)[0]
    assert f"by {support.get_username()}:" in shown
    assert "Keys rotated" in shown


def test_a_reviewer_sees_the_pause_but_cannot_lift_it(client, reviewer):
    pause_processing()
    client.force_login(reviewer)

    page = client.get(LIST_URL).content.decode()
    response = client.post(
        reverse("admin:onboarding_pipeline_resume"), {"reason": "Fixed"}
    )

    assert 'id="pipeline-paused"' in page
    assert "Lift the pause" not in page
    assert response.status_code == 403
    assert PipelineState.current().paused


def test_lifting_needs_a_reason(client, support):
    pause_processing()
    client.force_login(support)

    client.post(reverse("admin:onboarding_pipeline_resume"), {"reason": " "})

    assert PipelineState.current().paused


def test_lifting_a_pause_already_lifted_says_so_and_changes_nothing(client, support):
    # Two support people lift the same pause: the second one's click arrives
    # after the first, and must not claim to have resumed anything.
    pause_processing()
    client.force_login(support)
    url = reverse("admin:onboarding_pipeline_resume")
    first = client.post(url, {"reason": "Keys rotated"}, follow=True)

    second = client.post(url, {"reason": "Policy fixed"}, follow=True)

    assert [str(said) for said in first.context["messages"]] == [
        "Processing resumed; 0 submissions queued."
    ]
    assert [str(said) for said in second.context["messages"]] == [
        "Processing was not paused; nothing was changed."
    ]
    assert PipelineState.current().resume_reason == "Keys rotated"


@pytest.mark.parametrize("address", ["not-a-uuid", "00000000-0000-0000-0000-0"])
def test_a_reprocess_address_that_is_no_submission_is_not_found(
    client, support, address
):
    client.force_login(support)

    response = client.get(f"/admin/onboarding/submission/{address}/reprocess/")

    assert response.status_code == 404
