import re
import unicodedata
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.template.defaultfilters import filesizeformat
from django.utils.datastructures import MultiValueDict
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from onboarding.agreements import inspect_agreement
from onboarding.models import Submission
from onboarding.selectors import accepted_submission_for_space
from onboarding.uploads import TOO_LARGE, upload_refusal_message

# Unicode's line breaks, and spacing controls that sit within a line.
LINE_BREAKS = re.compile("[\r\v\f\x1c-\x1e\x85\u2028\u2029]")
INLINE_SPACING = re.compile("[\t\x1f]")

cust_space_id_validator = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9_-]*\Z",
    _(
        "Enter the space ID exactly as the ChatApp console shows it: letters and "
        "digits, optionally with - or _, and no spaces."
    ),
    code="invalid_space_id",
)


def strip_control_characters(value: str, *, keep_newlines: bool = False) -> str:
    """Remove control and invisible formatting characters, such as NUL or a
    right-to-left override, which have no place in the customer's terms.

    Line breaks and tabs are spacing, not noise: in a one-line field they
    become a single space, so that an address pasted on two lines keeps its
    words apart; where lines are kept, each kind of line break becomes one.
    """
    value = value.replace("\r\n", "\n")
    if keep_newlines:
        value = LINE_BREAKS.sub("\n", value)
        value = INLINE_SPACING.sub(" ", value)
    else:
        value = " ".join(value.split())
    return "".join(
        char
        for char in value
        if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf")
    ).strip()


class PlainTextField(forms.CharField):
    """Text cleaned of control characters before its length is checked."""

    keep_newlines = False

    def to_python(self, value):
        text = super().to_python(value)
        return strip_control_characters(text, keep_newlines=self.keep_newlines)


class PlainTextAreaField(PlainTextField):
    # Browsers send a line break as CR LF but count it as one character
    # against maxlength; normalising first keeps both counts the same.
    keep_newlines = True


class ConfirmationCheckbox(forms.CheckboxInput):
    """A checkbox whose value is what it confirms, here a space ID."""

    def __init__(self, confirms: str, checked: bool):
        super().__init__(check_test=lambda value: checked)
        self.confirms = confirms

    def format_value(self, value):
        return self.confirms

    def value_from_datadict(self, data, files, name):
        return data.get(name, "")


class SubmissionForm(forms.ModelForm):
    """The customer's terms, as ISV staff enter them."""

    form_token = forms.UUIDField(widget=forms.HiddenInput)
    # Holds the space ID whose earlier acceptance the user confirmed, so the
    # confirmation cannot carry over to another space ID.
    confirm_duplicate = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        label=_("Submit another agreement for this space ID"),
    )

    class Meta:
        model = Submission
        fields = [
            "cust_space_id",
            "company_name",
            "office_address",
            "contact_email",
            "country",
            "business_description",
            "agreement",
        ]
        labels = {
            "cust_space_id": _("Customer space ID"),
            "company_name": _("Company name"),
            "office_address": _("Office address"),
            "contact_email": _("Contact email"),
            "country": _("Country"),
            "business_description": _("Business description"),
            "agreement": _("Signed agreement (PDF)"),
        }
        help_texts = {
            "cust_space_id": _(
                "The customer's space ID in your ChatApp account (CustSpaceId), "
                "for example 293483938849493. Up to 64 letters, digits, - or _."
            ),
            "company_name": _(
                "The customer's registered company name, as written in the "
                "agreement (CustName). Up to 128 characters."
            ),
            "office_address": _(
                "The address of the customer's office (OfficeAddress). Up to 255 "
                "characters."
            ),
            "contact_email": _(
                "An address at the customer's company where Alibaba Cloud can "
                "reach them (ContactMail)."
            ),
            "country": _(
                "Where the customer's company is registered (CountryId, a "
                "two-letter ISO 3166-1 code). Type a name to find it."
            ),
            "business_description": _(
                "What the customer will use WhatsApp or Viber messaging for, for "
                "example order updates and customer support (BusinessDesc). Up to "
                "500 characters."
            ),
        }
        field_classes = {
            "cust_space_id": PlainTextField,
            "company_name": PlainTextField,
            "office_address": PlainTextField,
            "business_description": PlainTextAreaField,
        }
        widgets = {
            "business_description": forms.Textarea(attrs={"rows": 4}),
            "agreement": forms.FileInput(attrs={"accept": ".pdf,application/pdf"}),
        }

    def __init__(self, *args, upload_refusal: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicate_of: Submission | None = None
        # Set when the upload limits stopped reading the request: whatever
        # part of a file arrived is dropped, and the form says why rather than
        # "required".
        self.upload_refusal = upload_refusal
        if upload_refusal:
            self.files = MultiValueDict()
            self.fields["agreement"].required = False

        self.fields["cust_space_id"].validators.append(cust_space_id_validator)
        self.fields["country"].widget.attrs.update(
            {
                "data-searchable": "true",
                "data-search-placeholder": _("Search countries by name"),
            }
        )
        self.fields["agreement"].help_text = _(
            "The agreement signed by you and the customer (IsvTerms), as a PDF of "
            "at most %(limit)s."
        ) % {"limit": filesizeformat(settings.AGREEMENT_MAX_BYTES)}
        self.fields["agreement"].widget.attrs.update(
            {
                "data-max-bytes": settings.AGREEMENT_MAX_BYTES,
                "data-too-large-message": upload_refusal_message(TOO_LARGE),
            }
        )

        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "form_token",
            "cust_space_id",
            "company_name",
            "office_address",
            "contact_email",
            "country",
            "business_description",
            "agreement",
            "confirm_duplicate",
        )

    def clean_agreement(self):
        if self.upload_refusal:
            raise forms.ValidationError(
                upload_refusal_message(self.upload_refusal), code=self.upload_refusal
            )
        upload = self.cleaned_data["agreement"]
        inspect_agreement(upload, max_bytes=settings.AGREEMENT_MAX_BYTES)
        return upload

    def clean(self):
        cleaned = super().clean()
        space_id = cleaned.get("cust_space_id")
        if not space_id:
            return cleaned

        self.duplicate_of = accepted_submission_for_space(space_id)
        if self.duplicate_of is None:
            return cleaned

        confirmed = cleaned.get("confirm_duplicate") == space_id
        self.fields["confirm_duplicate"].widget = ConfirmationCheckbox(
            confirms=space_id, checked=confirmed
        )
        if not confirmed:
            self.add_error(
                "confirm_duplicate",
                forms.ValidationError(
                    _(
                        "Alibaba Cloud already accepted an agreement for space ID "
                        "%(space_id)s, submitted on %(date)s. Tick this box if you "
                        "mean to submit another one."
                    ),
                    code="duplicate_space_id",
                    params={
                        "space_id": space_id,
                        "date": date_format(
                            localtime(self.duplicate_of.created_at), "DATE_FORMAT"
                        ),
                    },
                ),
            )
        return cleaned

    def full_clean(self):
        super().full_clean()
        if not self.is_bound or not self._errors:
            return

        if "form_token" in self._errors:
            self.renew_form_token()

        # Browsers never keep a chosen file when a form is shown again, so a
        # good file must be picked once more; say so where the user looks.
        chosen = self.files.get(self.add_prefix("agreement"))
        if chosen and "agreement" not in self._errors:
            self.add_error(
                "agreement",
                forms.ValidationError(
                    _(
                        "Your file was fine, but please choose it again: browsers "
                        "do not keep a chosen file when a form is shown again."
                    ),
                    code="reselect",
                ),
            )

    def renew_form_token(self) -> None:
        """Replace a missing or damaged token, so the next attempt can succeed."""
        del self._errors["form_token"]
        self.data = self.data.copy()
        self.data[self.add_prefix("form_token")] = str(uuid.uuid4())
        self.add_error(
            None,
            forms.ValidationError(
                _(
                    "This form could not be matched to the page it came from. "
                    "Check the details and submit it again."
                ),
                code="form_token",
            ),
        )


class SubmissionFixForm(SubmissionForm):
    """A failed submission's terms, corrected by its submitter.

    The agreement may stay as it is; a new file replaces it.
    """

    FIELDS = SubmissionForm.Meta.fields[:-1]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["form_token"]
        del self.fields["confirm_duplicate"]
        self.fields["agreement"].required = False
        self.fields["agreement"].label = _("Replace the signed agreement (PDF)")
        self.fields["agreement"].help_text = _(
            "Leave empty to keep the agreement already sent; choose a PDF of at "
            "most %(limit)s to replace it."
        ) % {"limit": filesizeformat(settings.AGREEMENT_MAX_BYTES)}
        self.helper.layout = Layout(*self.FIELDS, "agreement")

    def clean_agreement(self):
        if not self.upload_refusal and not self.cleaned_data.get("agreement"):
            return None
        return super().clean_agreement()

    def clean(self):
        # A fix keeps its space ID's history; no duplicate confirmation.
        return forms.ModelForm.clean(self)

    def changed_terms(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}
