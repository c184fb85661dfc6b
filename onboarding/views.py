import logging
import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.generic import DetailView, FormView, ListView

from onboarding.forms import SubmissionForm
from onboarding.models import Submission
from onboarding.selectors import (
    status_counts_of,
    submission_for_form_token,
    submissions_of,
)
from onboarding.services import submission_create

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


class SubmissionCreateView(FormView):
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


def agreement_download(request: HttpRequest, pk: uuid.UUID) -> FileResponse:
    submission = get_object_or_404(submissions_of(request.user), pk=pk)
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
