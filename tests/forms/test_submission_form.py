import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onboarding.forms import SubmissionForm
from onboarding.models import Submission
from tests import documents
from tests.conftest import valid_form_data


def bind(data=None, files=None, **overrides) -> SubmissionForm:
    if files is None:
        files = {"agreement": pdf("agreement.pdf")}
    return SubmissionForm(data=data or valid_form_data(**overrides), files=files)


def pdf(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    body = documents.minimal_pdf() if content is None else content
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def errors_of(form: SubmissionForm, field: str) -> list[str]:
    assert not form.is_valid()
    return [error.code for error in form.errors.as_data().get(field, [])]


@pytest.mark.django_db
class TestValidSubmission:
    def test_it_accepts_the_documented_example(self):
        form = bind()

        assert form.is_valid(), form.errors

    def test_it_strips_control_characters_from_text(self):
        form = bind(
            company_name="Nusantara\x1b Kopi\u202e PT",
            business_description="Line one\r\nLine\x07 two",
        )

        assert form.is_valid(), form.errors
        assert form.cleaned_data["company_name"] == "Nusantara Kopi PT"
        assert form.cleaned_data["business_description"] == "Line one\nLine two"

    def test_it_accepts_a_pdf_at_exactly_the_size_limit(self, settings):
        settings.AGREEMENT_MAX_BYTES = 4096
        form = bind(files={"agreement": pdf("a.pdf", documents.padded_pdf(4096))})

        assert form.is_valid(), form.errors

    def test_it_accepts_an_upper_case_extension(self):
        assert bind(files={"agreement": pdf("AGREEMENT.PDF")}).is_valid()


@pytest.mark.django_db
class TestRequiredFields:
    @pytest.mark.parametrize(
        "field",
        [
            "cust_space_id",
            "company_name",
            "office_address",
            "contact_email",
            "country",
            "business_description",
        ],
    )
    def test_it_requires_each_text_field(self, field):
        assert errors_of(bind(**{field: ""}), field) == ["required"]

    def test_it_treats_control_characters_alone_as_missing(self):
        form = bind(business_description="\x01 \x02\u200f")

        assert errors_of(form, "business_description") == ["required"]

    def test_it_removes_a_null_character_like_any_control_character(self):
        form = bind(company_name="Nusantara\x00 Kopi")

        assert form.is_valid(), form.errors
        assert form.cleaned_data["company_name"] == "Nusantara Kopi"

    def test_it_requires_the_agreement(self):
        assert errors_of(bind(files={}), "agreement") == ["required"]


@pytest.mark.django_db
class TestFieldRules:
    @pytest.mark.parametrize(
        "email", ["not-an-email", "legal@", "@example.com", "a b@example.com"]
    )
    def test_it_rejects_a_malformed_email(self, email):
        assert errors_of(bind(contact_email=email), "contact_email") == ["invalid"]

    @pytest.mark.parametrize(
        "space_id", ["2934 8393", "-293483938", "2934/8393", "2934838*", "ñ12345"]
    )
    def test_it_rejects_a_malformed_space_id(self, space_id):
        form = bind(cust_space_id=space_id)

        assert errors_of(form, "cust_space_id") == ["invalid_space_id"]
        assert "as the ChatApp console shows it" in form.errors["cust_space_id"][0]

    @pytest.mark.parametrize("space_id", ["293483938849493", "C200293990209", "a-b_c"])
    def test_it_accepts_well_formed_space_ids(self, space_id):
        assert bind(cust_space_id=space_id).is_valid()

    @pytest.mark.parametrize(
        "field,limit",
        [
            ("cust_space_id", 64),
            ("company_name", 128),
            ("office_address", 255),
            ("business_description", 500),
        ],
    )
    def test_it_enforces_length_limits(self, field, limit):
        assert bind(**{field: "a" * limit}).is_valid()
        assert errors_of(bind(**{field: "a" * (limit + 1)}), field) == ["max_length"]

    def test_it_counts_a_browser_line_break_as_one_character(self):
        # 250 lines of "a" joined by CR LF: 499 characters as the browser counts.
        text = "\r\n".join(["a"] * 250)

        form = bind(business_description=text)

        assert form.is_valid(), form.errors
        assert form.cleaned_data["business_description"] == "\n".join(["a"] * 250)

    def test_it_checks_the_length_after_removing_control_characters(self):
        assert bind(company_name="a" * 128 + "\u200b" * 10).is_valid()

    def test_it_rejects_a_country_outside_the_list(self):
        assert errors_of(bind(country="XX"), "country") == ["invalid_choice"]

    def test_it_lists_countries_by_name(self):
        choices = dict(bind().fields["country"].choices)

        assert choices["ID"] == "Indonesia"
        assert choices["SG"] == "Singapore"
        assert len(choices) > 240


@pytest.mark.django_db
class TestAgreementRules:
    def test_it_rejects_a_name_without_pdf_extension(self):
        form = bind(files={"agreement": pdf("agreement.docx")})

        assert errors_of(form, "agreement") == ["not_pdf_name"]

    def test_it_rejects_an_empty_file(self):
        form = bind(files={"agreement": pdf("agreement.pdf", b"")})

        # Django refuses an empty upload before the portal's own checks.
        assert errors_of(form, "agreement") == ["empty"]

    def test_it_rejects_content_that_does_not_start_as_a_pdf(self):
        zip_bytes = b"PK\x03\x04" + b"\x00" * 100
        form = bind(files={"agreement": pdf("agreement.pdf", zip_bytes)})

        assert errors_of(form, "agreement") == ["not_pdf_content"]
        assert "not a PDF" in form.errors["agreement"][0]

    def test_it_rejects_a_file_one_byte_over_the_limit(self, settings):
        settings.AGREEMENT_MAX_BYTES = 4096
        upload = pdf("a.pdf", documents.padded_pdf(4097))
        form = bind(files={"agreement": upload})

        assert errors_of(form, "agreement") == ["too_large"]
        assert "4.0\xa0KB" in form.errors["agreement"][0]

    def test_it_accepts_two_mebibytes_by_default_and_no_more(self):
        limit = 2 * 1024 * 1024
        at_limit = pdf("a.pdf", documents.padded_pdf(limit))
        over = pdf("a.pdf", documents.padded_pdf(limit + 1))

        assert bind(files={"agreement": at_limit}).is_valid()
        assert errors_of(bind(files={"agreement": over}), "agreement") == ["too_large"]

    def test_it_accepts_a_long_file_name(self):
        assert bind(files={"agreement": pdf("a" * 200 + ".pdf")}).is_valid()

    def test_a_damaged_form_token_is_replaced_with_a_visible_message(self):
        form = bind(form_token="not-a-token")

        assert not form.is_valid()
        assert "form_token" not in form.errors
        assert [e.code for e in form.non_field_errors().as_data()] == ["form_token"]
        assert uuid.UUID(form["form_token"].value()).version == 4

    def test_it_asks_to_choose_a_good_file_again_when_another_field_fails(self):
        form = bind(contact_email="nope")

        assert errors_of(form, "agreement") == ["reselect"]
        assert "choose it again" in form.errors["agreement"][0]


@pytest.mark.django_db
class TestDuplicateSpaceId:
    def test_it_asks_for_confirmation_when_the_space_id_was_accepted(
        self, make_submission
    ):
        make_submission(status=Submission.Status.ACCEPTED)
        form = bind()

        assert errors_of(form, "confirm_duplicate") == ["duplicate_space_id"]
        assert "already accepted" in form.errors["confirm_duplicate"][0]

    def test_it_accepts_the_duplicate_once_confirmed(self, make_submission):
        make_submission(status=Submission.Status.ACCEPTED)

        assert bind(confirm_duplicate="293483938849493").is_valid()

    def test_a_confirmation_does_not_carry_over_to_another_space_id(
        self, make_submission
    ):
        make_submission(status=Submission.Status.ACCEPTED, cust_space_id="111111")
        make_submission(status=Submission.Status.ACCEPTED, cust_space_id="222222")

        form = bind(cust_space_id="222222", confirm_duplicate="111111")

        assert errors_of(form, "confirm_duplicate") == ["duplicate_space_id"]

    @pytest.mark.parametrize(
        "status",
        [Submission.Status.QUEUED, Submission.Status.FAILED],
    )
    def test_it_does_not_ask_when_earlier_submissions_were_not_accepted(
        self, make_submission, status
    ):
        make_submission(status=status)

        assert bind().is_valid()
