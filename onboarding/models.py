import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

# Alibaba documents no limits for these fields; these bounds keep the data
# reasonable and are what the form promises its users.
CUST_SPACE_ID_MAX_LENGTH = 64
COMPANY_NAME_MAX_LENGTH = 128
OFFICE_ADDRESS_MAX_LENGTH = 255
BUSINESS_DESCRIPTION_MAX_LENGTH = 500
AGREEMENT_NAME_MAX_LENGTH = 255


def agreement_upload_to(submission: "Submission", filename: str) -> str:
    """Store each agreement under a random name; the original is kept as data."""
    today = timezone.now()
    return f"agreements/{today:%Y/%m}/{uuid.uuid4().hex}.pdf"


class Submission(models.Model):
    """One customer's terms, from the staff member's form to Alibaba's answer."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        PROCESSING = "processing", _("Processing")
        RETRYING = "retrying", _("Waiting to retry")
        ACCEPTED = "accepted", _("Accepted")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    cust_space_id = models.CharField(
        _("customer space ID"), max_length=CUST_SPACE_ID_MAX_LENGTH, db_index=True
    )
    company_name = models.CharField(
        _("company name"), max_length=COMPANY_NAME_MAX_LENGTH
    )
    office_address = models.CharField(
        _("office address"), max_length=OFFICE_ADDRESS_MAX_LENGTH
    )
    contact_email = models.EmailField(_("contact email"))
    country = CountryField(_("country"))
    business_description = models.TextField(
        _("business description"), max_length=BUSINESS_DESCRIPTION_MAX_LENGTH
    )

    # The stored name is generated; the limit matters only for the name a
    # browser sends, which Django already cuts to 255 characters.
    agreement = models.FileField(
        _("agreement"), upload_to=agreement_upload_to, max_length=255
    )
    agreement_name = models.CharField(
        _("agreement file name"), max_length=AGREEMENT_NAME_MAX_LENGTH
    )
    agreement_size = models.PositiveIntegerField(_("agreement size in bytes"))
    agreement_sha256 = models.CharField(_("agreement SHA-256"), max_length=64)

    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=_("submitted by"),
    )
    # The token of the form page this submission came from: a second POST of the
    # same page (a double click, a reload) finds the first submission instead of
    # storing another.
    form_token = models.UUIDField(_("form token"), editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submitted_by", "form_token"],
                name="submission_once_per_form",
            ),
        ]
        indexes = [
            models.Index(
                fields=["submitted_by", "-created_at"], name="submission_by_user"
            ),
            models.Index(fields=["status", "-created_at"], name="submission_by_status"),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.cust_space_id})"

    def get_absolute_url(self) -> str:
        return reverse("onboarding:submission_detail", kwargs={"pk": self.pk})
