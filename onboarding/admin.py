import json
import math

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_countries.fields import Country

from onboarding import admin_figures, services
from onboarding.charts import daily_outcomes_svg
from onboarding.models import ApiCall, PipelineState, Submission, SubmissionEvent
from onboarding.selectors import submission_values_in_use
from onboarding.templatetags.submissions import status_badge


class StatusFilter(admin.SimpleListFilter):
    """Statuses with their counts, from one grouped read of the status index."""

    title = gettext_lazy("status")
    parameter_name = "status__exact"

    def lookups(self, request, model_admin):
        counts = admin_figures.status_counts()
        return [
            (value, f"{label} ({counts.get(value, 0)})")
            for value, label in Submission.Status.choices
        ]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(status=self.value())
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Only the countries that submissions name, by name, not all 249."""

    title = gettext_lazy("country")
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = submission_values_in_use("country")
        return sorted(
            ((code, Country(code=code).name) for code in codes),
            key=lambda choice: str(choice[1]),
        )

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(country=self.value())
        return queryset


class ErrorCodeFilter(admin.SimpleListFilter):
    """The error codes that submissions last ended with."""

    title = gettext_lazy("last error code")
    parameter_name = "last_error_code"

    def lookups(self, request, model_admin):
        return [(code, code) for code in submission_values_in_use("last_error_code")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(last_error_code=self.value())
        return queryset


# A RequestId names one call; a submission has a few. More than this many
# submissions sharing one is no RequestId search.
REQUEST_ID_MATCHES = 100


def readable_json(value) -> str:
    """A call's recorded request or answer, indented, for people to read."""
    if value is None:
        return "-"
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return format_html('<pre class="api-json">{}</pre>', text)


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
        "access_denied_detail",
        "finished_at",
        "duration_ms",
        "request_readable",
        "response_readable",
    ]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    @admin.display(description=gettext_lazy("request"))
    def request_readable(self, call: ApiCall) -> str:
        return readable_json(call.request)

    @admin.display(description=gettext_lazy("response"))
    def response_readable(self, call: ApiCall) -> str:
        return readable_json(call.response)

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

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "company_name",
        "cust_space_id",
        "country_column",
        "status_column",
        "attempts",
        "last_error_code",
        "submitted_by",
        "created_at",
        "updated_at",
    ]
    list_filter = [
        StatusFilter,
        CountryFilter,
        ErrorCodeFilter,
        "fixable_by",
        "created_at",
        "submitted_by",
    ]
    # Generic facet counts read the whole table once per filter on every page;
    # the status filter counts for itself from its index instead.
    show_facets = admin.ShowFacets.NEVER
    # Counting a large table on every page is slow; the filtered count is enough.
    show_full_result_count = False
    paginator = admin_figures.ReviewPaginator
    list_select_related = ["submitted_by"]
    # A call's RequestId is searched too, in get_search_results.
    search_fields = ["company_name", "contact_email", "cust_space_id"]
    search_help_text = gettext_lazy(
        "Search by company, contact email, space ID, or the exact RequestId of "
        "one of the submission's calls."
    )
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    inlines = [ApiCallInline, SubmissionEventInline]
    actions = ["reprocess_selected", "export_csv"]
    change_list_template = "admin/onboarding/submission/change_list.html"
    change_form_template = "admin/onboarding/submission/change_form.html"
    fieldsets = [
        (
            gettext_lazy("Customer's terms"),
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
            gettext_lazy("Agreement"),
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
            gettext_lazy("Processing"),
            {
                "fields": [
                    "status",
                    "attempts",
                    "next_attempt_at",
                    "requeued_at",
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
        (
            gettext_lazy("Worker's hold"),
            {
                # What workers use to share the work; read when a submission
                # seems stuck.
                "classes": ["collapse"],
                "fields": [
                    "lease_expires_at",
                    "claim",
                    "last_enqueued_at",
                    "form_token",
                    "agreement_stored_as",
                ],
            },
        ),
    ]
    readonly_fields = [
        field for fieldset in fieldsets for field in fieldset[1]["fields"]
    ]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(
            request, queryset, search_term
        )
        request_id = search_term.strip()
        if not request_id:
            return found, may_have_duplicates

        # Joining the calls would need a DISTINCT over every matching row,
        # and a subquery beside the text matches keeps PostgreSQL from using
        # their indexes: the ids of the few submissions with that call are
        # read first, and the search compares them as plain values.
        answered = list(
            ApiCall.objects.filter(request_id=request_id)
            .values_list("submission_id", flat=True)
            .distinct()[:REQUEST_ID_MATCHES]
        )
        if not answered:
            return found, may_have_duplicates
        return found | queryset.filter(pk__in=answered), may_have_duplicates

    def action_checkbox(self, submission: Submission) -> str:
        # The same box Django draws, without a widget template per row.
        label = _("Select this object for an action - %(object)s") % {
            "object": submission
        }
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select"'
            ' aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            submission.pk,
            label,
        )

    @admin.display(description=gettext_lazy("country"), ordering="country")
    def country_column(self, submission: Submission) -> str:
        # The generic column looks the code up among all 249 choices, twice,
        # on every row: most of the time a full page of the list took.
        return submission.country.name

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_column(self, submission: Submission) -> str:
        return status_badge(submission.status)

    @admin.display(description=gettext_lazy("agreement"))
    def agreement_download(self, submission: Submission) -> str:
        url = reverse("onboarding:agreement_download", args=[submission.pk])
        return format_html('<a href="{}">{}</a>', url, submission.agreement_name)

    @admin.display(description=gettext_lazy("agreement stored as"))
    def agreement_stored_as(self, submission: Submission) -> str:
        # The private storage's name, never a link: the file is only served
        # through the checked download above.
        return submission.agreement.name

    def has_add_permission(self, request) -> bool:
        # Submissions come from the staff form, which checks the agreement.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # What was submitted is a record: nobody edits it here.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    # Permissions for the actions

    def has_reprocess_permission(self, request) -> bool:
        return request.user.has_perm("onboarding.reprocess_submission")

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("onboarding.export_submission")

    # Reprocessing: one confirmation page for a selection or a single one

    @admin.action(
        description=gettext_lazy("Reprocess selected failed submissions"),
        permissions=["reprocess"],
    )
    def reprocess_selected(self, request, queryset):
        if request.POST.get("confirm") == "yes":
            self.reprocess(request, queryset)
            return None
        return self.reprocess_confirmation(
            request, queryset, action="reprocess_selected"
        )

    def reprocess_one(self, request, object_id):
        if not self.has_reprocess_permission(request):
            raise PermissionDenied
        # Django's own lookup: an address that is no submission id is a 404.
        submission = self.get_object(request, object_id)
        if submission is None:
            raise Http404(_("No such submission."))
        queryset = Submission.objects.filter(pk=submission.pk)
        change_url = reverse("admin:onboarding_submission_change", args=[object_id])
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            self.reprocess(request, queryset)
            return HttpResponseRedirect(change_url)
        return self.reprocess_confirmation(request, queryset, action=None)

    def reprocess(self, request, queryset) -> None:
        reason = request.POST.get("reason", "").strip()
        queued, refused = services.submissions_reprocess(
            submissions=queryset,
            actor=request.user,
            reason=reason or _("Reprocessed from the admin."),
        )
        admin_figures.forget_review_figures()
        self.message_user(
            request,
            _("Queued %(queued)s submissions again; %(refused)s had changed and "
              "were left as they were.") % {"queued": queued, "refused": refused},
            messages.SUCCESS if queued else messages.WARNING,
        )  # fmt: skip

    def reprocess_confirmation(self, request, queryset, *, action):
        plan = services.reprocess_plan(queryset)
        seconds = plan.seconds_at_rate_limit(settings.CHATAPP_RATE_LIMIT)
        return self.action_confirmation(
            request,
            queryset,
            action=action,
            template="reprocess_confirmation.html",
            title=_("Reprocess submissions"),
            plan=plan,
            # Never "0 seconds" for a few: the last call still takes its turn.
            # Rounded first, so that 11.000000000000002 s reads as 11.
            seconds=math.ceil(round(seconds, 3)),
            paused=services.is_paused(),
        )

    def action_confirmation(self, request, queryset, *, action, template, **extra):
        """Render a confirmation page that posts the same action back."""
        # Post back what the list posted: the ticked rows, and the flag that
        # stands for the whole filtered list, which the list's query string
        # (kept in the form's URL) selects again.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "action": action,
            "select_across": request.POST.get("select_across") == "1",
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            **extra,
        }
        return TemplateResponse(
            request, f"admin/onboarding/submission/{template}", context
        )

    # Export

    @admin.action(
        description=gettext_lazy("Export selected submissions to CSV"),
        permissions=["export"],
    )
    def export_csv(self, request, queryset):
        if request.POST.get("confirm") != "yes":
            return self.action_confirmation(
                request,
                queryset,
                action="export_csv",
                template="export_confirmation.html",
                title=_("Export submissions to CSV"),
                count=queryset.count(),
            )

        body = services.submissions_export(
            submissions=queryset,
            actor=request.user,
            reason=request.POST.get("reason", "").strip(),
        )
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = (
            f'attachment; filename="submissions-{stamp}.csv"'
        )
        return response

    # The pause of processing, shown and lifted from the list

    def resume_pipeline(self, request):
        if not request.user.has_perm("onboarding.resume_pipeline"):
            raise PermissionDenied
        reason = request.POST.get("reason", "").strip()
        if not reason:
            self.message_user(
                request, _("Say what was fixed to lift the pause."), messages.ERROR
            )
        else:
            queued = services.pipeline_resume(actor=request.user, reason=reason)
            admin_figures.forget_review_figures()
            if queued is None:
                self.message_user(
                    request,
                    _("Processing was not paused; nothing was changed."),
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    _("Processing resumed; %(count)s submissions queued.")
                    % {"count": queued},
                )
        return HttpResponseRedirect(reverse("admin:onboarding_submission_changelist"))

    def changelist_view(self, request, extra_context=None):
        state = PipelineState.current()
        with admin_figures.one_visit(state):
            extra_context = {
                **(extra_context or {}),
                "pipeline": state,
                "can_resume": request.user.has_perm("onboarding.resume_pipeline"),
                "summary": admin_figures.summary(),
                "chart": daily_outcomes_svg(admin_figures.last_30_days()),
            }
            response = super().changelist_view(request, extra_context)
            # Drawn here, so that the date links read the same version.
            if isinstance(response, TemplateResponse):
                response.render()
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_reprocess": self.has_reprocess_permission(request),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        return [
            path(
                "pipeline/resume/",
                self.admin_site.admin_view(require_POST(self.resume_pipeline)),
                name="onboarding_pipeline_resume",
            ),
            path(
                "<path:object_id>/reprocess/",
                self.admin_site.admin_view(self.reprocess_one),
                name="onboarding_submission_reprocess",
            ),
            *super().get_urls(),
        ]
