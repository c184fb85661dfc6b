import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
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

# Submissions that wait for a worker, and since when each has waited: since it
# was last sent back to the queue after failing, or else since it was created.
WAITING_STATUSES = ("queued", "retrying")
WAITING_SINCE = Coalesce("requeued_at", "created_at")


def agreement_upload_to(submission: "Submission", filename: str) -> str:
    """Store each agreement under a random name; the original is kept as data."""
    today = timezone.now()
    return f"agreements/{today:%Y/%m}/{uuid.uuid4().hex}.pdf"


class FixableBy(models.TextChoices):
    SUBMITTER = "submitter", _("The submitter")
    SUPPORT = "support", _("Support")


class SubmissionQuerySet(models.QuerySet):
    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        """List the years or months that hold submissions, as Django does.

        Django reads every row for this, with a DISTINCT; on the whole table,
        one lookup along the creation-time index per year or month in use
        finds the same ones. The admin's date links ask for them.
        """
        hops = (
            field_name == "created_at"
            and kind in ("year", "month")
            and order == "ASC"
            and tzinfo is None
            and not self.query.where
        )
        if not hops:
            return super().datetimes(field_name, kind, order, tzinfo)
        return list(self._periods_in_use(kind))

    def _periods_in_use(self, kind: str):
        earliest = self.order_by("created_at").values_list("created_at", flat=True)
        found = earliest.first()
        while found is not None:
            local = timezone.localtime(found)
            start = local.replace(
                month=1 if kind == "year" else local.month,
                day=1,
                hour=0,
                minute=0,
                second=0,
                microsecond=0,
                tzinfo=None,
            )
            # Made aware anew: a period may not share the offset of the time
            # found in it.
            yield timezone.make_aware(start)
            found = earliest.filter(
                created_at__gte=timezone.make_aware(_following(start, kind))
            ).first()


def _following(start: datetime, kind: str) -> datetime:
    if kind == "year" or start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


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

    # Processing state. Only services change these, by conditional update.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # A worker holds a submission until this time; past it, the worker is
    # presumed dead and the submission is picked up again.
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    # Which claim holds the submission: a worker whose lease ran out and was
    # replaced finds its token gone and changes nothing more.
    claim = models.UUIDField(_("claim"), null=True, blank=True, editable=False)
    last_enqueued_at = models.DateTimeField(_("last queued"), null=True, blank=True)
    # When a failed submission was last sent back to the queue; until then it
    # has waited since it was created. Retries leave it as it is.
    requeued_at = models.DateTimeField(_("queued again"), null=True, blank=True)
    isv_terms = models.CharField(_("file name in OSS"), max_length=128, blank=True)
    oss_key = models.CharField(_("OSS object key"), max_length=1023, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    last_error_code = models.CharField(_("last error code"), max_length=128, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    fixable_by = models.CharField(
        _("who can fix it"), max_length=16, choices=FixableBy.choices, blank=True
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

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-created_at"]
        permissions = [
            ("reprocess_submission", _("Can send failed submissions again")),
            ("export_submission", _("Can export submissions")),
            ("resume_pipeline", _("Can lift the pause of processing")),
        ]
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
            models.Index(fields=["status", "next_attempt_at"], name="submission_due"),
            # The admin's list, newest first, reads the first page off this;
            # with the status beside the date, the chart of the last 30 days
            # reads nothing else.
            models.Index(
                fields=["-created_at", "status"], name="submission_newest_status"
            ),
            # The admin's status counts and summary read this index alone.
            models.Index(fields=["status", "fixable_by"], name="submission_outcomes"),
            # The oldest waiting submission is this index's first entry.
            models.Index(
                WAITING_SINCE,
                name="submission_waiting_since",
                condition=models.Q(status__in=WAITING_STATUSES),
            ),
            # The admin's filters list the values in use.
            models.Index(fields=["country"], name="submission_by_country"),
            models.Index(fields=["last_error_code"], name="submission_by_error"),
        ]

    def __str__(self) -> str:
        return f"{self.company_name} ({self.cust_space_id})"

    def get_absolute_url(self) -> str:
        return reverse("onboarding:submission_detail", kwargs={"pk": self.pk})

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.ACCEPTED, self.Status.FAILED)


class ApiCall(models.Model):
    """One call to ChatApp or OSS made for a submission. Rows are never changed
    after their outcome is written: together they are the audit trail."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("No answer yet")
        OK = "ok", _("Succeeded")
        RETRYABLE = "retryable", _("Failed, worth retrying")
        SUBMITTER = "submitter", _("Failed, the submitter can fix it")
        ACCOUNT = "account", _("Failed, the account must be fixed")
        UNKNOWN_OUTCOME = "unknown_outcome", _("Outcome unknown")
        NOT_SENT = "not_sent", _("Not sent: no turn within the rate limit")
        UNEXPECTED = "unexpected", _("Failed unexpectedly")

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="api_calls"
    )
    attempt = models.PositiveIntegerField(_("attempt"))
    action = models.CharField(_("action"), max_length=64)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    duration_ms = models.FloatField(_("duration (ms)"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(
        _("HTTP status"), null=True, blank=True
    )
    code = models.CharField(_("code"), max_length=128, blank=True)
    message = models.TextField(_("message"), blank=True)
    request_id = models.CharField(_("request ID"), max_length=128, blank=True)
    access_denied_detail = models.TextField(_("access denied detail"), blank=True)
    request = models.JSONField(_("request"), default=dict, blank=True)
    response = models.JSONField(_("response"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=Outcome.choices, default=Outcome.PENDING
    )

    class Meta:
        verbose_name = _("API call")
        verbose_name_plural = _("API calls")
        ordering = ["-started_at"]
        indexes = [
            models.Index(
                fields=["submission", "-started_at"], name="call_by_submission"
            ),
            models.Index(fields=["request_id"], name="call_by_request_id"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.code or self.outcome}"


class SubmissionEvent(models.Model):
    """Something that happened to a submission besides an API call: who queued
    it again and why, a pause, a fix by its submitter."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="events"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("submission event")
        verbose_name_plural = _("submission events")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class RateLimit(models.Model):
    """The next free moment to call one action, shared by every worker.

    Each call takes the next slot and moves it on by the minimum spacing, so
    calls across all processes stay evenly apart (a generic cell rate limiter).
    """

    action = models.CharField(max_length=64, primary_key=True)
    next_slot_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.action} next at {self.next_slot_at}"


class PipelineState(models.Model):
    """Whether processing is paused because the account itself is refused.

    A single row (pk=1): one account problem stops all submissions at once
    instead of failing each of them in turn.
    """

    paused = models.BooleanField(default=False)
    paused_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    # After this, one submission may go through as a trial.
    cool_off_until = models.DateTimeField(null=True, blank=True)
    trial_submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trial_started_at = models.DateTimeField(null=True, blank=True)
    # The last lifting of a pause, kept even when nothing waited for it.
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    resume_reason = models.TextField(blank=True)
    # Support's actions bump it, so that every process, not only the one that
    # served the action, reads the admin's whole-table figures afresh.
    figures_version = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("pipeline state")

    def __str__(self) -> str:
        return f"paused since {self.paused_at}" if self.paused else "running"

    @classmethod
    def current(cls) -> "PipelineState":
        state, _ = cls.objects.select_related("resumed_by").get_or_create(pk=1)
        return state
