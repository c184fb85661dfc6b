import logging
import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import DetailView, FormView, ListView

from onboarding.forms import SubmissionFixForm, SubmissionForm
from onboarding.models import FixableBy, Submission
from onboarding.selectors import (
    agreements_visible_to,
    status_counts_of,
    submission_for_form_token,
    submissions_of,
)
from onboarding.services import (
    NotReprocessable,
    submission_create,
    submission_reprocess,
    submission_resubmit,
)

logger = logging.getLogger(__name__)


class SubmissionListView(ListView):
    template_name = "onboarding/submission_list.html"
    context_object_name = "submissions"
    paginate_by = 20

    def get_status_filter(self) -> str:
        status = self.request.GET.get("status", "")
        return status if status in Submission.Status.values else ""

    def get_queryset(self):
        submissions = submissions_of(self.request.user)
        if status := self.get_status_filter():
            submissions = submissions.filter(status=status)
        return submissions

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counts = status_counts_of(self.request.user)
        context["status_filter"] = self.get_status_filter()
        context["total_count"] = sum(counts.values())
        context["status_choices"] = [
            (value, label, counts.get(value, 0))
            for value, label in Submission.Status.choices
        ]
        return context


class UploadFormMixin:
    """Tell the form when the upload limits stopped reading its file."""

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "upload_refusal": getattr(self.request, "upload_refusal", None),
        }


class SubmissionCreateView(UploadFormMixin, FormView):
    template_name = "onboarding/submission_form.html"
    form_class = SubmissionForm

    def get_initial(self):
        return {"form_token": uuid.uuid4()}

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # A repeated POST of a form that was already stored (double click,
        # reload, back button) goes straight to what it created.
        try:
            token = uuid.UUID(request.POST.get("form_token", ""))
        except ValueError:
            token = None
        if token and (existing := submission_for_form_token(request.user, token)):
            messages.info(request, _("This form was already submitted."))
            return redirect(existing)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: SubmissionForm) -> HttpResponse:
        data = form.cleaned_data
        submission, created = submission_create(
            submitted_by=self.request.user,
            form_token=data["form_token"],
            cust_space_id=data["cust_space_id"],
            company_name=data["company_name"],
            office_address=data["office_address"],
            contact_email=data["contact_email"],
            country=data["country"],
            business_description=data["business_description"],
            agreement=data["agreement"],
        )
        if created:
            messages.success(
                self.request,
                _("The agreement for %(company)s is queued for Alibaba Cloud.")
                % {"company": submission.company_name},
            )
        else:
            messages.info(self.request, _("This form was already submitted."))
        return redirect(submission)


class SubmissionDetailView(DetailView):
    template_name = "onboarding/submission_detail.html"
    context_object_name = "submission"

    def get_queryset(self):
        return submissions_of(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {**context, **live_context(self.object)}


class SubmissionFixView(UploadFormMixin, FormView):
    """Let the submitter correct a submission that failed on their data."""

    template_name = "onboarding/submission_fix.html"
    form_class = SubmissionFixForm

    def dispatch(self, request, *args, **kwargs):
        self.submission = get_object_or_404(
            submissions_of(request.user), pk=kwargs["pk"]
        )
        if not can_fix(self.submission):
            messages.info(request, _("This submission cannot be changed now."))
            return redirect(self.submission)
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {
            name: getattr(self.submission, name) for name in SubmissionFixForm.FIELDS
        }

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "submission": self.submission}

    def form_valid(self, form: SubmissionFixForm) -> HttpResponse:
        try:
            submission_resubmit(
                submission=self.submission,
                actor=self.request.user,
                fields=form.changed_terms(),
                agreement=form.cleaned_data["agreement"],
            )
        except NotReprocessable as refusal:
            messages.error(self.request, str(refusal))
        else:
            messages.success(self.request, _("Corrected and queued again."))
        return redirect(self.submission)


@require_POST
def submission_send_again(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    submission = get_object_or_404(submissions_of(request.user), pk=pk)
    if can_fix(submission):
        # Sent as it is, it would fail the same way: it needs the fix first.
        messages.info(request, _("Correct this submission first, then resubmit."))
        return redirect("onboarding:submission_fix", pk=submission.pk)
    try:
        submission_reprocess(
            submission=submission,
            actor=request.user,
            reason=_("Sent again by its submitter."),
        )
    except NotReprocessable as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Queued again."))
    return redirect(submission)


def submission_live(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """The part of the submission page that changes while it is processed."""
    submission = get_object_or_404(submissions_of(request.user), pk=pk)
    return render(
        request,
        "onboarding/_submission_live.html",
        live_context(submission),
    )


def can_fix(submission: Submission) -> bool:
    return (
        submission.status == Submission.Status.FAILED
        and submission.fixable_by == FixableBy.SUBMITTER
    )


def live_context(submission: Submission) -> dict:
    return {
        "submission": submission,
        "api_calls": submission.api_calls.order_by("-started_at"),
        "events": submission.events.select_related("actor").order_by("-at"),
        "can_fix": can_fix(submission),
        "can_send_again": submission.status == Submission.Status.FAILED
        and submission.fixable_by == FixableBy.SUPPORT,
    }


def agreement_download(request: HttpRequest, pk: uuid.UUID) -> FileResponse:
    submission = get_object_or_404(agreements_visible_to(request.user), pk=pk)
    try:
        agreement = submission.agreement.open("rb")
    except FileNotFoundError:
        logger.error(
            "Agreement file %s of submission %s is missing from storage",
            submission.agreement.name,
            submission.pk,
        )
        raise Http404(_("The agreement file is missing.")) from None

    response = FileResponse(
        agreement,
        as_attachment=True,
        filename=submission.agreement_name,
        content_type="application/pdf",
    )
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
