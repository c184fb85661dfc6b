from django.contrib import admin

from onboarding.models import Submission


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "company_name",
        "cust_space_id",
        "country",
        "status",
        "submitted_by",
        "created_at",
    ]
    list_filter = ["status", "created_at"]
    list_select_related = ["submitted_by"]
    search_fields = ["company_name", "cust_space_id", "contact_email"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "id",
        "agreement",
        "agreement_name",
        "agreement_size",
        "agreement_sha256",
        "status",
        "submitted_by",
        "form_token",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request) -> bool:
        # Submissions come from the staff form, which checks the agreement.
        return False
