"""Hostile values typed into the form: stored as typed and shown as text,
cleaned, or refused with the field's own message and nothing left behind."""

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from onboarding.models import Submission
from tests.conftest import valid_form_data

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("onboarding:submission_create")
ADMIN_LIST_URL = reverse("admin:onboarding_submission_changelist")

MARKUP = {
    "company_name": '<script>alert("company")</script>',
    "office_address": "\"><img src=x onerror=alert('address')>",
    "business_description": '</textarea><script>alert("description")</script>',
}
MARKUP_FILE_NAME = "<svg onload=alert('file')>.pdf"


def post_form(client, pdf_upload, file_name: str = "agreement.pdf", **fields):
    data = {**valid_form_data(**fields), "agreement": pdf_upload(file_name)}
    return client.post(CREATE_URL, data)


def files_in(root) -> list:
    return [path for path in root.rglob("*") if path.is_file()]


def assert_nothing_was_left(media_root) -> None:
    assert not Submission.objects.exists()
    assert files_in(media_root) == []
    assert not DBTaskResult.objects.exists()


def field_errors(response, field: str) -> list[tuple[str, str]]:
    assert response.status_code == 200
    form = response.context["form"]
    return [
        (error.code, message)
        for error in form.errors.as_data().get(field, [])
        for message in error.messages
    ]


def assert_shown_as_text(page: str, *values: str) -> None:
    for value in values:
        assert value not in page
        # Shown at all, or the check above proves nothing.
        assert escape(value) in page


def test_a_valid_form_leaves_a_row_a_file_and_a_task(
    staff_client, pdf_upload, private_media_root
):
    # The control for every "nothing was left" below.
    response = post_form(staff_client, pdf_upload)

    assert response.status_code == 302
    assert Submission.objects.count() == 1
    assert len(files_in(private_media_root)) == 1
    assert DBTaskResult.objects.count() == 1


def test_markup_is_stored_as_typed_and_shown_as_text_on_every_page(
    staff_client, administrator, pdf_upload
):
    response = post_form(staff_client, pdf_upload, file_name=MARKUP_FILE_NAME, **MARKUP)
    submission = Submission.objects.get()
    detail = staff_client.get(response["Location"]).content.decode()
    portal_list = staff_client.get(reverse("onboarding:submission_list"))
    live = staff_client.get(reverse("onboarding:submission_live", args=[submission.pk]))
    admin = Client()
    admin.force_login(administrator)
    admin_pages = [
        admin.get(ADMIN_LIST_URL),
        admin.get(reverse("admin:onboarding_submission_change", args=[submission.pk])),
        admin.get(reverse("admin:onboarding_submission_history", args=[submission.pk])),
        admin.get(reverse("admin:onboarding_submission_delete", args=[submission.pk])),
    ]

    for field, value in MARKUP.items():
        assert getattr(submission, field) == value
    assert submission.agreement_name == MARKUP_FILE_NAME
    # The page after the form also carries the message naming the company.
    assert "is queued for Alibaba Cloud" in detail
    assert_shown_as_text(detail, *MARKUP.values(), MARKUP_FILE_NAME)
    assert_shown_as_text(portal_list.content.decode(), MARKUP["company_name"])
    assert_shown_as_text(live.content.decode(), MARKUP["company_name"])
    for page in admin_pages:
        assert page.status_code == 200
        assert_shown_as_text(page.content.decode(), MARKUP["company_name"])
    change_page = admin_pages[1].content.decode()
    assert_shown_as_text(change_page, *MARKUP.values(), MARKUP_FILE_NAME)


def test_markup_in_a_refused_form_is_shown_back_as_text(
    staff_client, pdf_upload, private_media_root
):
    response = post_form(
        staff_client, pdf_upload, contact_email="not-an-email", **MARKUP
    )

    assert field_errors(response, "contact_email") == [
        ("invalid", "Enter a valid email address.")
    ]
    assert_shown_as_text(response.content.decode(), *MARKUP.values())
    assert_nothing_was_left(private_media_root)


@pytest.mark.parametrize(
    ("field", "code"),
    [("cust_space_id", "invalid_space_id"), ("contact_email", "invalid")],
)
def test_markup_in_a_field_with_a_format_is_refused(
    staff_client, pdf_upload, private_media_root, field, code
):
    value = "<script>alert(1)</script>"
    if field == "contact_email":
        value += "@nusantara-kopi.example"

    response = post_form(staff_client, pdf_upload, **{field: value})

    assert [error for error, _ in field_errors(response, field)] == [code]
    assert_shown_as_text(response.content.decode(), "<script>alert(1)</script>")
    assert_nothing_was_left(private_media_root)


# Where each field's limit comes from: the model's max_length, or Django's
# 254 for an email address.
LIMITS = {
    "cust_space_id": 64,
    "company_name": 128,
    "office_address": 255,
    "contact_email": 254,
    "business_description": 500,
}


@pytest.mark.parametrize("field", LIMITS)
def test_a_10000_character_value_is_refused_with_the_fields_own_limit(
    staff_client, pdf_upload, private_media_root, field
):
    value = "9" * 10_000
    if field == "contact_email":
        value = "a" * (10_000 - len("@kopi.example")) + "@kopi.example"

    response = post_form(staff_client, pdf_upload, **{field: value})

    message = (
        f"Ensure this value has at most {LIMITS[field]} characters (it has 10000)."
    )
    assert ("max_length", message) in field_errors(response, field)
    assert message in response.content.decode()
    assert_nothing_was_left(private_media_root)


def test_control_characters_are_stripped_from_the_text_fields(staff_client, pdf_upload):
    response = post_form(
        staff_client,
        pdf_upload,
        cust_space_id="2934\u200b8393\x008849493",
        company_name="Nusantara\x00 Kopi\u202e PT\x1b",
        office_address="Jl. Sudirman 1,\n\tJakarta\x7f",
        business_description="Line one\r\nLine\x07 two\u2066\u2028Line\tthree",
    )

    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.cust_space_id == "293483938849493"
    assert submission.company_name == "Nusantara Kopi PT"
    # Line breaks and tabs keep the words of a one-line field apart.
    assert submission.office_address == "Jl. Sudirman 1, Jakarta"
    assert submission.business_description == "Line one\nLine two\nLine three"


@pytest.mark.parametrize(
    "separator", ["\n", "\r\n", "\t", "\u2028", "\u2029", "\x85", "\x0b"]
)
def test_a_one_line_field_pasted_on_two_lines_keeps_its_words_apart(
    staff_client, pdf_upload, separator
):
    post_form(
        staff_client,
        pdf_upload,
        company_name=f"Nusantara{separator}Kopi  PT",
        office_address=f"Jl. Sudirman 1,{separator}{separator}Jakarta",
    )

    submission = Submission.objects.get()
    assert submission.company_name == "Nusantara Kopi PT"
    assert submission.office_address == "Jl. Sudirman 1, Jakarta"


@pytest.mark.parametrize(
    ("field", "value", "errors"),
    [
        # An email address is checked as typed, so a control character in it
        # is refused rather than quietly removed.
        (
            "contact_email",
            "legal\x07@nusantara-kopi.example",
            [("invalid", "Enter a valid email address.")],
        ),
        (
            "contact_email",
            "legal\x00@nusantara-kopi.example",
            [
                ("invalid", "Enter a valid email address."),
                ("null_characters_not_allowed", "Null characters are not allowed."),
            ],
        ),
        (
            "country",
            "I\x00D",
            [
                (
                    "invalid_choice",
                    "Select a valid choice. I\x00D is not one of the available "
                    "choices.",
                )
            ],
        ),
        (
            "company_name",
            "\x00\x1b\u202e",
            [("required", "This field is required.")],
        ),
    ],
)
def test_control_characters_where_they_cannot_be_stripped_are_refused(
    staff_client, pdf_upload, private_media_root, field, value, errors
):
    response = post_form(staff_client, pdf_upload, **{field: value})

    assert field_errors(response, field) == errors
    assert_nothing_was_left(private_media_root)


SPACE_ID_MESSAGE = (
    "Enter the space ID exactly as the ChatApp console shows it: letters and "
    "digits, optionally with - or _, and no spaces."
)


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("contact_email", "not-an-email", ("invalid", "Enter a valid email address.")),
        ("contact_email", "legal@", ("invalid", "Enter a valid email address.")),
        (
            "contact_email",
            "legal@kopi.example, ops@kopi.example",
            ("invalid", "Enter a valid email address."),
        ),
        (
            "country",
            "XX",
            (
                "invalid_choice",
                "Select a valid choice. XX is not one of the available choices.",
            ),
        ),
        (
            "country",
            "Indonesia",
            (
                "invalid_choice",
                "Select a valid choice. Indonesia is not one of the available choices.",
            ),
        ),
        ("cust_space_id", "2934 8393", ("invalid_space_id", SPACE_ID_MESSAGE)),
        ("cust_space_id", "-293483938849493", ("invalid_space_id", SPACE_ID_MESSAGE)),
        ("cust_space_id", "2934/8393", ("invalid_space_id", SPACE_ID_MESSAGE)),
        # Digits, but full-width ones, as some input methods type them.
        (
            "cust_space_id",
            "\uff12\uff19\uff13\uff14",
            ("invalid_space_id", SPACE_ID_MESSAGE),
        ),
    ],
)
def test_a_malformed_value_gets_its_specific_error_and_nothing_is_kept(
    staff_client, pdf_upload, private_media_root, field, value, error
):
    response = post_form(staff_client, pdf_upload, **{field: value})

    assert field_errors(response, field) == [error]
    assert_nothing_was_left(private_media_root)


def test_a_10000_character_country_is_refused(
    staff_client, pdf_upload, private_media_root
):
    response = post_form(staff_client, pdf_upload, country="I" * 10_000)

    assert [code for code, _ in field_errors(response, "country")] == ["invalid_choice"]
    assert_nothing_was_left(private_media_root)


# A cell starting with one of =, +, -, @, a tab or a carriage return runs as
# a formula in common spreadsheets.
FORMULAS = [
    '=HYPERLINK("evil.example","open")',
    "+SUM(1+1)",
    "-SUM(1+1)",
    "@SUM(1+1)",
    "\t=SUM(1+1)",
    "\r=SUM(1+1)",
]
FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def export(client, submissions) -> dict[str, dict[str, str]]:
    response = client.post(
        ADMIN_LIST_URL,
        {
            "action": "export_csv",
            "_selected_action": [str(submission.pk) for submission in submissions],
            "confirm": "yes",
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = csv.DictReader(io.StringIO(response.content.decode()))
    return {row["id"]: row for row in rows}


@pytest.mark.parametrize("formula", FORMULAS)
def test_a_formula_typed_into_the_form_is_neutralised_in_the_export(
    staff_client, support, pdf_upload, formula
):
    # The form removes a leading tab or carriage return, like any control
    # character; the formula behind it must still be neutralised.
    stored = formula.lstrip("\t\r")
    email = f"{stored[0]}1@nusantara-kopi.example"
    email_is_valid = stored[0] != "@"

    post_form(
        staff_client,
        pdf_upload,
        file_name=f"{formula}.pdf",
        company_name=formula,
        office_address=formula,
        business_description=formula,
        contact_email=email if email_is_valid else "legal@nusantara-kopi.example",
    )
    submission = Submission.objects.get()
    admin = Client()
    admin.force_login(support)
    row = export(admin, [submission])[str(submission.pk)]

    assert submission.company_name == stored
    for column in ("company name", "office address", "business description"):
        assert row[column] == f"'{stored}"
    assert row["agreement file name"] == f"'{stored}.pdf"
    if email_is_valid:
        assert row["contact email"] == f"'{email}"


@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_a_formula_in_an_answer_from_alibaba_is_neutralised_in_the_export(
    client, support, make_submission, prefix
):
    # The failure reason and error code come from ChatApp's answers, not the
    # form, so nothing has stripped them.
    submission = make_submission(
        status=Submission.Status.FAILED,
        last_error_code=f"{prefix}Code",
        failure_reason=f"{prefix}cmd|' /C calc'!A0",
    )
    client.force_login(support)

    row = export(client, [submission])[str(submission.pk)]

    assert row["last error code"] == f"'{prefix}Code"
    assert row["failure reason"] == f"'{prefix}cmd|' /C calc'!A0"
