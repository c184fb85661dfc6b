import uuid

import pytest
from django.urls import reverse

from onboarding.models import Submission
from tests import documents
from tests.conftest import valid_form_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("onboarding:submission_create")


def stored_files(media_root) -> list:
    return [path for path in media_root.rglob("*") if path.is_file()]


def post(client, pdf_upload, **overrides):
    data = valid_form_data(**overrides)
    data.setdefault("agreement", pdf_upload())
    return client.post(CREATE_URL, data)


def test_the_form_shows_every_field_with_label_and_help(staff_client):
    response = staff_client.get(CREATE_URL)
    page = response.content.decode()

    for field in (
        "cust_space_id",
        "company_name",
        "office_address",
        "contact_email",
        "country",
        "business_description",
        "agreement",
    ):
        assert f'name="{field}"' in page, field
        assert f'id="id_{field}_helptext"' in page, field
    assert page.count('class="asteriskField"') == 7
    assert 'name="form_token"' in page
    assert '<option value="ID">Indonesia</option>' in page


def test_a_valid_form_stores_one_queued_submission(
    staff_client, staff, pdf_upload, private_media_root
):
    response = post(staff_client, pdf_upload)

    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == submission.get_absolute_url()
    assert submission.status == Submission.Status.QUEUED
    assert submission.submitted_by == staff
    assert submission.cust_space_id == "293483938849493"
    assert submission.country.code == "ID"
    assert submission.agreement_name == "agreement.pdf"
    assert submission.agreement_size == len(documents.minimal_pdf())
    assert submission.agreement_sha256 == documents.sha256(documents.minimal_pdf())
    [stored] = stored_files(private_media_root)
    assert stored.read_bytes() == documents.minimal_pdf()


def test_the_stored_file_gets_a_random_name(staff_client, pdf_upload):
    post(staff_client, pdf_upload, agreement=pdf_upload("Nusantara terms.pdf"))

    submission = Submission.objects.get()
    stored_name = submission.agreement.name.rsplit("/", 1)[-1]
    assert "Nusantara" not in submission.agreement.name
    assert uuid.UUID(stored_name.removesuffix(".pdf")).version == 4
    assert submission.agreement_name == "Nusantara terms.pdf"


def test_a_rejected_form_keeps_what_was_typed_and_stores_nothing(
    staff_client, pdf_upload, private_media_root
):
    response = post(staff_client, pdf_upload, contact_email="legal-at-example")
    page = response.content.decode()

    assert response.status_code == 200
    assert Submission.objects.count() == 0
    assert stored_files(private_media_root) == []
    assert 'value="legal-at-example"' in page
    assert 'value="Nusantara Kopi PT"' in page
    assert "Order updates and customer support on WhatsApp." in page
    assert '<option value="ID" selected>Indonesia</option>' in page
    assert "Enter a valid email address." in page
    assert "please choose it again" in page


def test_the_error_appears_next_to_the_field_at_fault(staff_client, pdf_upload):
    response = post(staff_client, pdf_upload, cust_space_id="12 34")
    page = response.content.decode()

    field_at = page.index('id="id_cust_space_id"')
    error_at = page.index("as the ChatApp console shows it")
    next_field_at = page.index('id="id_company_name"')
    assert field_at < error_at < next_field_at
    assert 'aria-invalid="true"' in page[field_at - 300 : error_at]


def test_a_file_that_is_not_a_pdf_is_rejected_and_not_stored(
    staff_client, pdf_upload, private_media_root
):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    response = post(staff_client, pdf_upload, agreement=pdf_upload("scan.pdf", png))

    assert response.status_code == 200
    assert "This file is not a PDF" in response.content.decode()
    assert Submission.objects.count() == 0
    assert stored_files(private_media_root) == []


def test_the_size_limit_comes_from_settings(staff_client, pdf_upload, settings):
    settings.AGREEMENT_MAX_BYTES = 1024
    big = pdf_upload("big.pdf", documents.padded_pdf(1025))

    response = post(staff_client, pdf_upload, agreement=big)

    assert "larger than 1.0\xa0KB" in response.content.decode()
    assert Submission.objects.count() == 0


def test_posting_the_same_form_twice_stores_one_submission(staff_client, pdf_upload):
    token = str(uuid.uuid4())

    first = post(staff_client, pdf_upload, form_token=token)
    second = post(staff_client, pdf_upload, form_token=token)

    submission = Submission.objects.get()
    assert first["Location"] == second["Location"] == submission.get_absolute_url()


def test_the_same_token_from_another_user_is_a_separate_form(
    client, staff, other_staff, pdf_upload
):
    token = str(uuid.uuid4())
    client.force_login(staff)
    post(client, pdf_upload, form_token=token)
    client.force_login(other_staff)
    post(client, pdf_upload, form_token=token)

    assert Submission.objects.filter(form_token=token).count() == 2


def test_each_new_form_page_carries_a_fresh_token(staff_client):
    first = staff_client.get(CREATE_URL).context["form"]["form_token"].value()
    second = staff_client.get(CREATE_URL).context["form"]["form_token"].value()

    assert first != second


def test_a_missing_form_token_says_so_and_the_next_attempt_succeeds(
    staff_client, pdf_upload
):
    response = post(staff_client, pdf_upload, form_token="")

    assert Submission.objects.count() == 0
    assert "could not be matched to the page" in response.content.decode()
    fresh = response.context["form"]["form_token"].value()

    retried = post(staff_client, pdf_upload, form_token=fresh)

    assert retried.status_code == 302
    assert Submission.objects.count() == 1


def test_an_anonymous_post_stores_nothing(client, pdf_upload):
    response = post(client, pdf_upload)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Submission.objects.exists()


def test_a_space_id_already_accepted_needs_confirmation(
    staff_client, pdf_upload, make_submission
):
    make_submission(status=Submission.Status.ACCEPTED)

    response = post(staff_client, pdf_upload)
    page = response.content.decode()

    assert Submission.objects.count() == 1
    assert "already accepted an agreement for space ID 293483938849493" in page
    assert 'type="checkbox" name="confirm_duplicate"' in page

    assert 'value="293483938849493"' in page[page.index('name="confirm_duplicate"') :]

    confirmed = post(staff_client, pdf_upload, confirm_duplicate="293483938849493")

    assert confirmed.status_code == 302
    assert Submission.objects.count() == 2


def test_the_confirmation_box_is_hidden_when_not_needed(staff_client):
    page = staff_client.get(CREATE_URL).content.decode()

    assert 'type="hidden" name="confirm_duplicate"' in page
    assert 'type="checkbox" name="confirm_duplicate"' not in page
