import uuid

import pytest

from onboarding.models import ApiCall, Submission
from onboarding.services import submission_create
from tests import documents
from tests.pipeline.conftest import drain

pytestmark = pytest.mark.django_db


def create(staff, pdf_upload, space_id="293483938849493", **fields):
    submission, _ = submission_create(
        submitted_by=staff,
        form_token=uuid.uuid4(),
        cust_space_id=space_id,
        company_name=fields.get("company_name", "Nusantara Kopi PT"),
        office_address="Jl. Sudirman 1, Jakarta",
        contact_email="legal@nusantara-kopi.example",
        country="ID",
        business_description="Order updates.",
        agreement=pdf_upload("Nusantara terms.pdf"),
    )
    return submission


def test_a_queued_submission_is_accepted(staff, pdf_upload, sandbox):
    submission = create(staff, pdf_upload)

    drain()

    submission.refresh_from_db()
    assert submission.status == Submission.Status.ACCEPTED
    assert submission.accepted_at is not None
    assert submission.attempts == 1
    assert submission.isv_terms.startswith("Nusantara-terms-")
    assert submission.oss_key == f"isv-terms/293483938849493/{submission.isv_terms}"
    assert sandbox.objects.read("chatapp-sandbox", submission.oss_key) == (
        documents.minimal_pdf()
    )
    actions = list(
        submission.api_calls.order_by("started_at").values_list("action", "outcome")
    )
    assert actions == [
        ("GetChatappUploadAuthorization", "ok"),
        ("OSS:PutObject", "ok"),
        ("SubmitIsvCustomerTerms", "ok"),
    ]
    [submit] = sandbox.calls("SubmitIsvCustomerTerms")
    assert submit.params["IsvTerms"] == submission.isv_terms


def test_every_call_is_stored_with_its_answer(staff, pdf_upload):
    submission = create(staff, pdf_upload)

    drain()

    call = submission.api_calls.get(action="SubmitIsvCustomerTerms")
    assert call.http_status == 200
    assert (call.code, call.message) == ("OK", "OK")
    assert call.request_id
    assert call.duration_ms > 0
    assert call.finished_at >= call.started_at
    assert call.request["CustSpaceId"] == "293483938849493"
    assert call.attempt == 1
    assert not ApiCall.objects.filter(outcome=ApiCall.Outcome.PENDING).exists()
