import pytest
from django.urls import reverse

from onboarding.models import ApiCall, Submission

pytestmark = pytest.mark.django_db


def live(client, submission):
    return client.get(reverse("onboarding:submission_live", args=[submission.pk]))


def test_it_keeps_refreshing_while_the_submission_moves(staff_client, make_submission):
    submission = make_submission(status=Submission.Status.PROCESSING)

    page = live(staff_client, submission).content.decode()

    assert page.lstrip().startswith('<div id="submission-live"')
    assert 'data-refresh="3000"' in page
    assert "Being sent to Alibaba Cloud" in page


def test_it_stops_refreshing_once_final(staff_client, make_submission):
    submission = make_submission(status=Submission.Status.ACCEPTED)

    page = live(staff_client, submission).content.decode()

    assert "data-refresh" not in page


def test_it_lists_the_calls_newest_first_with_their_answers(
    staff_client, make_submission
):
    submission = make_submission(status=Submission.Status.RETRYING)
    ApiCall.objects.create(
        submission=submission,
        attempt=1,
        action="SubmitIsvCustomerTerms",
        http_status=503,
        code="ServiceUnavailable",
        message="Try later",
        request_id="REQ-1",
        outcome="retryable",
    )
    ApiCall.objects.create(
        submission=submission,
        attempt=2,
        action="SubmitIsvCustomerTerms",
        http_status=200,
        code="OK",
        request_id="REQ-2",
        outcome="ok",
    )

    page = live(staff_client, submission).content.decode()

    assert page.index("REQ-2") < page.index("REQ-1")
    assert "HTTP 503 <code>ServiceUnavailable</code> Try later" in page
    assert "Failed, worth retrying" in page


def test_another_users_live_view_is_not_found(client, other_staff, make_submission):
    submission = make_submission()
    client.force_login(other_staff)

    assert live(client, submission).status_code == 404


def test_send_again_is_offered_for_failures_support_can_fix(
    staff_client, make_submission
):
    submission = make_submission(
        status=Submission.Status.FAILED,
        fixable_by="support",
        failure_reason="Retries exhausted",
    )
    url = reverse("onboarding:submission_send_again", args=[submission.pk])

    assert url in staff_client.get(submission.get_absolute_url()).content.decode()
    response = staff_client.post(url)

    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Submission.Status.QUEUED


def test_send_again_refuses_an_accepted_submission(staff_client, make_submission):
    submission = make_submission(status=Submission.Status.ACCEPTED)
    url = reverse("onboarding:submission_send_again", args=[submission.pk])

    response = staff_client.post(url, follow=True)

    assert "accepted already" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED


def test_send_again_needs_a_post(staff_client, make_submission):
    submission = make_submission(status=Submission.Status.FAILED)
    url = reverse("onboarding:submission_send_again", args=[submission.pk])

    assert staff_client.get(url).status_code == 405
