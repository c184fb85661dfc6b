from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onboarding.models import ApiCall, Submission, SubmissionEvent
from onboarding.templatetags.submissions import status_badge


class ApiCallInline(admin.TabularInline):
    model = ApiCall
    extra = 0
    ordering = ["-started_at"]
    fields = [
        "started_at",
        "attempt",
        "action",
        "outcome",
        "http_status",
        "code",
        "message",
        "request_id",
        "duration_ms",
        "request",
        "response",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SubmissionEventInline(admin.TabularInline):
    model = SubmissionEvent
    extra = 0
    ordering = ["-at"]
    fields = ["at", "kind", "actor", "message"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "company_name",
        "cust_space_id",
        "country",
        "status_column",
        "attempts",
        "last_error_code",
        "submitted_by",
        "created_at",
        "updated_at",
    ]
    list_filter = [
        "status",
        "country",
        "last_error_code",
        "fixable_by",
        "created_at",
        "submitted_by",
    ]
    show_facets = admin.ShowFacets.ALWAYS
    list_select_related = ["submitted_by"]
    search_fields = [
        "company_name",
        "contact_email",
        "cust_space_id",
        "=api_calls__request_id",
    ]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [ApiCallInline, SubmissionEventInline]
    fieldsets = [
        (
            _("Customer's terms"),
            {
                "fields": [
                    "cust_space_id",
                    "company_name",
                    "office_address",
                    "contact_email",
                    "country",
                    "business_description",
                ]
            },
        ),
        (
            _("Agreement"),
            {
                "fields": [
                    "agreement_download",
                    "agreement_size",
                    "agreement_sha256",
                    "isv_terms",
                    "oss_key",
                    "uploaded_at",
                ]
            },
        ),
        (
            _("Processing"),
            {
                "fields": [
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "last_error_code",
                    "failure_reason",
                    "fixable_by",
                    "accepted_at",
                    "submitted_by",
                    "created_at",
                    "updated_at",
                    "id",
                ]
            },
        ),
    ]
    readonly_fields = [
        field for fieldset in fieldsets for field in fieldset[1]["fields"]
    ]

    @admin.display(description=_("status"), ordering="status")
    def status_column(self, submission: Submission) -> str:
        return status_badge(submission.status)

    @admin.display(description=_("agreement"))
    def agreement_download(self, submission: Submission) -> str:
        url = reverse("onboarding:agreement_download", args=[submission.pk])
        return format_html('<a href="{}">{}</a>', url, submission.agreement_name)

    def has_add_permission(self, request) -> bool:
        # Submissions come from the staff form, which checks the agreement.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # What was submitted is a record: nobody edits it here.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser
