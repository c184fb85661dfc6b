"""Who may do what, on every page, download and action, in one table.

Amira submitted the submission each row works on. Bruno is another staff
member; Rita reviews, Sam is in support and Olga is a superuser. Each cell
is the exact answer that person gets, and whether anything may change.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model
from django.test import Client
from django.urls import Resolver404, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from onboarding.models import ApiCall, PipelineState, Submission, SubmissionEvent
from onboarding.tasks import process_submission
from tests import documents
from tests.conftest import pause_processing, valid_form_data

pytestmark = pytest.mark.django_db

Status = Submission.Status
PERSONAS = {
    "anonymous": None,
    "amira": "staff",
    "bruno": "other_staff",
    "rita": "reviewer",
    "sam": "support",
    "olga": "administrator",
}


@dataclass(frozen=True)
class Outcome:
    status: int
    # Where a redirect leads: a sign-in page, or the row's next page.
    to: str | None = None
    changes: bool = False


OK = Outcome(200)
LOGIN = Outcome(302, to="login")
ADMIN = Outcome(302, to="admin:login")
DENIED = Outcome(403)
ABSENT = Outcome(404)
NO_GET = Outcome(405)
DONE = Outcome(302, to="next", changes=True)
ONWARD = Outcome(302, to="next")
CSV = Outcome(200, changes=True)


def failed_for_support() -> dict:
    return {
        "status": Status.FAILED,
        "fixable_by": "support",
        "last_error_code": "InternalError",
        "attempts": 3,
    }


@dataclass(frozen=True)
class Target:
    method: str
    url: Callable[[Submission], str]
    data: Callable[[Submission], dict] = lambda submission: {}
    # Where a successful request leads.
    next: Callable[[Submission], str] = lambda submission: ""
    state: dict = field(default_factory=failed_for_support)
    paused: bool = False


def portal(name: str) -> Callable[[Submission], str]:
    return lambda submission: reverse(f"onboarding:{name}", args=[submission.pk])


def admin(name: str, *, of_submission: bool = True) -> Callable[[Submission], str]:
    if of_submission:
        return lambda submission: reverse(f"admin:{name}", args=[submission.pk])
    return lambda submission: reverse(f"admin:{name}")


def fixed(url: str) -> Callable[[Submission], str]:
    return lambda submission: url


def newest_submission_page(submission: Submission) -> str:
    return Submission.objects.latest("created_at").get_absolute_url()


def new_form(submission: Submission) -> dict:
    pdf = SimpleUploadedFile("terms.pdf", documents.minimal_pdf(), "application/pdf")
    return {**valid_form_data(), "agreement": pdf}


def corrected_terms(submission: Submission) -> dict:
    data = valid_form_data(company_name="Nusantara Kopi Corrected PT")
    del data["form_token"]
    return data


def list_action(action: str, **extra) -> Callable[[Submission], dict]:
    # What the admin's list posts when one row is ticked and an action chosen.
    return lambda submission: {
        "action": action,
        "_selected_action": [str(submission.pk)],
        "index": "0",
        **extra,
    }


def first_call_url(submission: Submission) -> str:
    call = submission.api_calls.get()
    return f"/admin/onboarding/apicall/{call.pk}/change/"


def sign_in_record(model: type[Model], **fields) -> Model:
    # What axes keeps of a stranger's sign-ins, so that its admin has a row.
    record, _ = model.objects.get_or_create(
        username="mallory",
        ip_address="192.0.2.66",
        user_agent="curl/8.5",
        defaults={
            "http_accept": "*/*",
            "path_info": "/accounts/login/",
            "attempt_time": timezone.now(),
            **fields,
        },
    )
    return record


def queued_task(submission: Submission) -> DBTaskResult:
    return DBTaskResult.objects.get(
        pk=process_submission.enqueue(str(submission.pk)).id
    )


ROWS = {
    "auth_user": lambda submission: submission.submitted_by,
    "auth_group": lambda submission: Group.objects.get(name="Support"),
    "axes_accessattempt": lambda submission: sign_in_record(
        AccessAttempt, failures_since_start=3
    ),
    "axes_accesslog": lambda submission: sign_in_record(AccessLog),
    "axes_accessfailurelog": lambda submission: sign_in_record(AccessFailureLog),
    "django_tasks_database_dbtaskresult": queued_task,
}


def model_admin(model: str, view: str) -> Callable[[Submission], str]:
    """The address of one of the admin's pages for a model other than Submission.

    The row a page shows is made as its address is built, before the
    snapshot, so that making it is not mistaken for a change.
    """
    if view in ("changelist", "add"):
        return lambda submission: reverse(f"admin:{model}_{view}")
    return lambda submission: reverse(
        f"admin:{model}_{view}", args=[ROWS[model](submission).pk]
    )


def view_on_site(submission: Submission) -> str:
    kind = ContentType.objects.get_for_model(Submission)
    return reverse("admin:view_on_site", args=[kind.pk, submission.pk])


def reset_link(submission: Submission) -> str:
    user = submission.submitted_by
    return reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ],
    )


def reset_form(submission: Submission) -> str:
    # Where a working link leads: the token moves into the session.
    uid = urlsafe_base64_encode(force_bytes(submission.submitted_by.pk))
    return reverse("password_reset_confirm", args=[uid, "set-password"])


CHANGELIST = admin("onboarding_submission_changelist", of_submission=False)
CHANGE_PAGE = admin("onboarding_submission_change")
FAILED_FOR_SUBMITTER = {
    "status": Status.FAILED,
    "fixable_by": "submitter",
    "last_error_code": "Unknown.ResourceOwnerId",
    "attempts": 1,
}

TARGETS = {
    # The portal
    "list": Target("get", fixed(reverse("onboarding:submission_list"))),
    "form": Target("get", fixed(reverse("onboarding:submission_create"))),
    "form, post": Target(
        "post",
        fixed(reverse("onboarding:submission_create")),
        data=new_form,
        next=newest_submission_page,
    ),
    "detail": Target("get", portal("submission_detail")),
    "live": Target("get", portal("submission_live")),
    "fix": Target("get", portal("submission_fix"), state=FAILED_FOR_SUBMITTER),
    "fix, post": Target(
        "post",
        portal("submission_fix"),
        data=corrected_terms,
        next=portal("submission_detail"),
        state=FAILED_FOR_SUBMITTER,
    ),
    "send again": Target("get", portal("submission_send_again")),
    "send again, post": Target(
        "post", portal("submission_send_again"), next=portal("submission_detail")
    ),
    "agreement": Target("get", portal("agreement_download")),
    # The admin
    "admin home": Target("get", fixed(reverse("admin:index"))),
    "admin list": Target("get", CHANGELIST),
    "admin page": Target("get", CHANGE_PAGE),
    "admin page, post": Target(
        "post", CHANGE_PAGE, data=lambda submission: {"company_name": "Changed"}
    ),
    "admin history": Target("get", admin("onboarding_submission_history")),
    "admin add": Target("get", admin("onboarding_submission_add", of_submission=False)),
    "admin delete": Target("get", admin("onboarding_submission_delete")),
    "admin delete, post": Target(
        "post",
        admin("onboarding_submission_delete"),
        data=lambda submission: {"post": "yes"},
        # Nobody may change submissions, so the admin goes home, not to the list.
        next=fixed(reverse("admin:index")),
    ),
    "api calls": Target("get", fixed("/admin/onboarding/apicall/")),
    "api call": Target("get", first_call_url),
    "reprocess, ask": Target(
        "post", CHANGELIST, data=list_action("reprocess_selected")
    ),
    "reprocess, confirm": Target(
        "post",
        CHANGELIST,
        data=list_action("reprocess_selected", confirm="yes"),
        next=CHANGELIST,
    ),
    "reprocess it": Target("get", admin("onboarding_submission_reprocess")),
    "reprocess it, post": Target(
        "post",
        admin("onboarding_submission_reprocess"),
        data=lambda submission: {"confirm": "yes", "reason": "Keys rotated"},
        next=CHANGE_PAGE,
    ),
    "export": Target("post", CHANGELIST, data=list_action("export_csv", confirm="yes")),
    "resume": Target(
        "get", admin("onboarding_pipeline_resume", of_submission=False), paused=True
    ),
    "resume, post": Target(
        "post",
        admin("onboarding_pipeline_resume", of_submission=False),
        data=lambda submission: {"reason": "RAM policy fixed"},
        next=CHANGELIST,
        state={"status": Status.RETRYING},
        paused=True,
    ),
    # Signing in and out
    "sign in": Target("get", fixed(reverse("login"))),
    "sign out": Target("get", fixed(reverse("logout"))),
    "sign out, post": Target(
        "post", fixed(reverse("logout")), next=fixed("/accounts/login/")
    ),
    "admin sign in": Target(
        "get", fixed(reverse("admin:login")), next=fixed("/admin/")
    ),
    "password": Target("get", fixed(reverse("password_change"))),
    "password changed": Target("get", fixed(reverse("password_change_done"))),
    "password reset": Target("get", fixed(reverse("password_reset"))),
    "password reset, post": Target(
        "post",
        fixed(reverse("password_reset")),
        data=lambda submission: {"email": submission.submitted_by.email},
        next=fixed(reverse("password_reset_done")),
    ),
    "reset sent": Target("get", fixed(reverse("password_reset_done"))),
    "reset link": Target("get", reset_link, next=reset_form),
    "reset done": Target("get", fixed(reverse("password_reset_complete"))),
    "health": Target("get", fixed(reverse("healthz"))),
    # The rest of the admin
    "admin sign out": Target(
        "get", fixed(reverse("admin:logout")), next=fixed(reverse("admin:index"))
    ),
    "admin password": Target("get", fixed(reverse("admin:password_change"))),
    "admin password changed": Target(
        "get", fixed(reverse("admin:password_change_done"))
    ),
    "admin section": Target(
        "get", fixed(reverse("admin:app_list", args=["onboarding"]))
    ),
    "admin accounts section": Target(
        "get", fixed(reverse("admin:app_list", args=["auth"]))
    ),
    "view on site": Target(
        "get",
        view_on_site,
        next=lambda submission: f"http://testserver{submission.get_absolute_url()}",
    ),
    "autocomplete": Target("get", fixed(reverse("admin:autocomplete"))),
    **{
        f"{title} {page}": Target("get", model_admin(model, view))
        for model, title in (
            ("auth_user", "users"),
            ("auth_group", "groups"),
            ("axes_accessattempt", "sign-in attempts"),
            ("axes_accesslog", "sign-in log"),
            ("axes_accessfailurelog", "sign-in failures"),
            ("django_tasks_database_dbtaskresult", "tasks"),
        )
        for view, page in (
            ("changelist", "list"),
            ("add", "add"),
            ("change", "page"),
            ("history", "history"),
            ("delete", "delete"),
        )
    },
    "user's password": Target("get", model_admin("auth_user", "password_change")),
}

# anon.   not signed in
# OK      200, and nothing changes           DONE    302 onwards, and it happened
# LOGIN   302 to the portal's sign-in        ONWARD  302 onwards, nothing changes
# ADMIN   302 to the admin's sign-in         CSV     200 with the file; recorded
# DENIED  403; ABSENT 404; NO_GET 405 (it takes a POST); none of them changes a thing
#
# Admin pages of a model answer a visitor with the portal's sign-in, which
# guards every URL that is not public and returns to the page afterwards; the
# admin's own pages (home, sign-in, unknown URLs) use the admin's sign-in.
# fmt: off
RULES = [
    # target               anon.   amira   bruno   rita    sam     olga
    ("list",               LOGIN,  OK,     OK,     OK,     OK,     OK),
    ("form",               LOGIN,  OK,     OK,     OK,     OK,     OK),
    ("form, post",         LOGIN,  DONE,   DONE,   DONE,   DONE,   DONE),
    # A submission is its submitter's; reviewers read it in the admin.
    ("detail",             LOGIN,  OK,     ABSENT, ABSENT, ABSENT, ABSENT),
    ("live",               LOGIN,  OK,     ABSENT, ABSENT, ABSENT, ABSENT),
    ("fix",                LOGIN,  OK,     ABSENT, ABSENT, ABSENT, ABSENT),
    ("fix, post",          LOGIN,  DONE,   ABSENT, ABSENT, ABSENT, ABSENT),
    ("send again",         LOGIN,  NO_GET, NO_GET, NO_GET, NO_GET, NO_GET),
    ("send again, post",   LOGIN,  DONE,   ABSENT, ABSENT, ABSENT, ABSENT),
    ("agreement",          LOGIN,  OK,     ABSENT, OK,     OK,     OK),
    # Only the review roles and superusers enter the admin.
    ("admin home",         ADMIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    ("admin list",         LOGIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    ("admin page",         LOGIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    # What was submitted is a record: nobody edits or adds one in the admin.
    ("admin page, post",   LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, DENIED),
    ("admin history",      LOGIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    ("admin add",          LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, DENIED),
    ("admin delete",       LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("admin delete, post", LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, DONE),
    # Calls are read on their submission's page; they have no pages of their own.
    ("api calls",          ADMIN,  ADMIN,  ADMIN,  ABSENT, ABSENT, ABSENT),
    ("api call",           ADMIN,  ADMIN,  ADMIN,  ABSENT, ABSENT, ABSENT),
    # Rita's list offers no actions: a posted one only shows the list again.
    ("reprocess, ask",     LOGIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    ("reprocess, confirm", LOGIN,  ADMIN,  ADMIN,  OK,     DONE,   DONE),
    ("reprocess it",       LOGIN,  ADMIN,  ADMIN,  DENIED, OK,     OK),
    ("reprocess it, post", LOGIN,  ADMIN,  ADMIN,  DENIED, DONE,   DONE),
    ("export",             LOGIN,  ADMIN,  ADMIN,  OK,     CSV,    CSV),
    ("resume",             LOGIN,  ADMIN,  ADMIN,  NO_GET, NO_GET, NO_GET),
    ("resume, post",       LOGIN,  ADMIN,  ADMIN,  DENIED, DONE,   DONE),
    ("sign in",            OK,     OK,     OK,     OK,     OK,     OK),
    ("sign out",           LOGIN,  NO_GET, NO_GET, NO_GET, NO_GET, NO_GET),
    ("sign out, post",     LOGIN,  ONWARD, ONWARD, ONWARD, ONWARD, ONWARD),
    ("admin sign in",      OK,     OK,     OK,     ONWARD, ONWARD, ONWARD),
    ("password",           LOGIN,  OK,     OK,     OK,     OK,     OK),
    ("password changed",   LOGIN,  OK,     OK,     OK,     OK,     OK),
    # Whoever forgot their password is not signed in; a reset asks for nothing.
    ("password reset",     OK,     OK,     OK,     OK,     OK,     OK),
    ("password reset, post", ONWARD, ONWARD, ONWARD, ONWARD, ONWARD, ONWARD),
    ("reset sent",         OK,     OK,     OK,     OK,     OK,     OK),
    ("reset link",         ONWARD, ONWARD, ONWARD, ONWARD, ONWARD, ONWARD),
    ("reset done",         OK,     OK,     OK,     OK,     OK,     OK),
    # A load balancer polls it without signing in.
    ("health",             OK,     OK,     OK,     OK,     OK,     OK),
    # The admin's sign-out takes a POST; whoever it does not admit goes home.
    ("admin sign out",     ADMIN,  ONWARD, ONWARD, NO_GET, NO_GET, NO_GET),
    ("admin password",     ADMIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    ("admin password changed", ADMIN, ADMIN, ADMIN, OK, OK,   OK),
    ("admin section",      ADMIN,  ADMIN,  ADMIN,  OK,     OK,     OK),
    ("admin accounts section", ADMIN, ADMIN, ADMIN, ABSENT, ABSENT, OK),
    ("view on site",       ADMIN,  ADMIN,  ADMIN,  ONWARD, ONWARD, ONWARD),
    # No admin page of the portal's offers a field that searches as you type.
    ("autocomplete",       ADMIN,  ADMIN,  ADMIN,  DENIED, DENIED, DENIED),
    # Accounts, lockouts and the task queue are the superuser's alone.
    ("users list",         LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("users add",          LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("users page",         LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("users history",      LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("users delete",       LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("user's password",    LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("groups list",        LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("groups add",         LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("groups page",        LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("groups history",     LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("groups delete",      LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    # Axes records sign-ins itself: nobody adds one by hand. Deleting an
    # attempt is how a superuser lifts a lockout.
    ("sign-in attempts list",    LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in attempts add",     LOGIN, ADMIN, ADMIN, DENIED, DENIED, DENIED),
    ("sign-in attempts page",    LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in attempts history", LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in attempts delete",  LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in log list",         LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in log add",          LOGIN, ADMIN, ADMIN, DENIED, DENIED, DENIED),
    ("sign-in log page",         LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in log history",      LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in log delete",       LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in failures list",    LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in failures add",     LOGIN, ADMIN, ADMIN, DENIED, DENIED, DENIED),
    ("sign-in failures page",    LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in failures history", LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    ("sign-in failures delete",  LOGIN, ADMIN, ADMIN, DENIED, DENIED, OK),
    # The queue is the workers' to change: a superuser reads it.
    ("tasks list",         LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("tasks add",          LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, DENIED),
    ("tasks page",         LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("tasks history",      LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, OK),
    ("tasks delete",       LOGIN,  ADMIN,  ADMIN,  DENIED, DENIED, DENIED),
]
# fmt: on

CELLS = [
    pytest.param(target, persona, outcome, id=f"{target}-{persona}")
    for target, *outcomes in RULES
    for persona, outcome in zip(PERSONAS, outcomes, strict=True)
]


def test_the_table_covers_every_target_once():
    assert sorted(row[0] for row in RULES) == sorted(TARGETS)


# Named routes the table leaves out, and why.
EXEMPT = {
    # The admin's JavaScript translations: the same text for everyone, read
    # from no table.
    "admin:jsi18n",
}


def named_routes(resolver: URLResolver, namespace: str = "") -> set[str]:
    """Every named route under the resolver, as `reverse` names it."""
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            names |= named_routes(pattern, inner)
        elif pattern.name:
            names.add(namespace + pattern.name)
    return names


def test_every_named_route_is_in_the_table_or_exempt_with_a_reason(request):
    # A page added later, a model newly registered in the admin among them,
    # must say here who may see it.
    _, submission = arrange(request, TARGETS["list"], "anonymous")
    in_table = {
        resolve(target.url(submission).partition("?")[0]).view_name
        for target in TARGETS.values()
    }
    routes = named_routes(get_resolver())

    assert routes - in_table - EXEMPT == set()
    # An exemption outlives neither its route nor a row that replaces it.
    assert not EXEMPT - routes
    assert not EXEMPT & in_table
    assert {"healthz", "admin:auth_user_changelist"} <= in_table


def files_in(root: Path) -> list[str]:
    return sorted(str(path) for path in root.rglob("*") if path.is_file())


def snapshot(media_root: Path) -> dict:
    """Everything a request might change, in a form that compares by value."""
    return {
        "submissions": list(
            Submission.objects.order_by("pk").values_list(
                "pk", "status", "company_name", "attempts", "updated_at"
            )
        ),
        "events": list(SubmissionEvent.objects.order_by("pk").values_list("pk")),
        "tasks": DBTaskResult.objects.count(),
        "paused": list(PipelineState.objects.values_list("paused", flat=True)),
        "admin log": LogEntry.objects.count(),
        "files": files_in(media_root),
    }


def arrange(request, target: Target, persona: str) -> tuple[Client, Submission]:
    submission = request.getfixturevalue("make_submission")(**target.state)
    ApiCall.objects.create(
        submission=submission,
        attempt=1,
        action="SubmitIsvCustomerTerms",
        code="InternalError",
        outcome=ApiCall.Outcome.RETRYABLE,
    )
    # The list creates the state row on its first visit; create it up front
    # so that visit is not mistaken for a change.
    PipelineState.current()
    if target.paused:
        pause_processing()

    client = request.getfixturevalue("client")
    if PERSONAS[persona]:
        client.force_login(request.getfixturevalue(PERSONAS[persona]))
    return client, submission


def expected_location(outcome: Outcome, target: Target, submission, url) -> str:
    if outcome.to == "next":
        return target.next(submission)
    return f"{reverse(outcome.to)}?next={url}"


@pytest.mark.parametrize(("name", "persona", "expected"), CELLS)
def test_each_person_gets_exactly_what_the_table_says(
    request, private_media_root, name, persona, expected
):
    target = TARGETS[name]
    client, submission = arrange(request, target, persona)
    url = target.url(submission)
    before = snapshot(private_media_root)

    response = getattr(client, target.method)(url, target.data(submission))

    assert response.status_code == expected.status
    if expected.to:
        assert response["Location"] == expected_location(
            expected, target, submission, url
        )
    if expected is CSV:
        assert response["Content-Type"].startswith("text/csv")
    after = snapshot(private_media_root)
    if expected.changes:
        assert after != before
    else:
        assert after == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_no_public_address_serves_a_stored_agreement(request, persona):
    client, submission = arrange(request, TARGETS["agreement"], persona)
    name = submission.agreement.name
    stored = Path(submission.agreement.path)
    addresses = [
        f"/media/{name}",
        f"/{name}",
        f"/static/{name}",
        f"/{submission.agreement.url.lstrip('/')}",
        # Where the files are kept when DJANGO_MEDIA_ROOT is not set.
        f"/var/media/{name}",
        str(stored),
        "/media/",
        "/media/agreements/",
    ]

    assert stored.read_bytes().startswith(b"%PDF-")
    for address in addresses:
        with pytest.raises(Resolver404):
            resolve(address)
        response = client.get(address)
        assert response.status_code == 404, address
        assert b"%PDF-" not in response.content, address


# Each request as a browser would send it, minus the CSRF token.
CSRF_CASES = {
    "the form": ("staff", TARGETS["form, post"]),
    "a fix": ("staff", TARGETS["fix, post"]),
    "send again": ("staff", TARGETS["send again, post"]),
    "the reprocess action": ("support", TARGETS["reprocess, confirm"]),
    "reprocess one": ("support", TARGETS["reprocess it, post"]),
    "the export": ("support", TARGETS["export"]),
    "the resume": ("support", TARGETS["resume, post"]),
    "a delete": ("administrator", TARGETS["admin delete, post"]),
}


@pytest.mark.parametrize("case", CSRF_CASES)
def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(
    request, private_media_root, case
):
    persona, target = CSRF_CASES[case]
    submission = request.getfixturevalue("make_submission")(**target.state)
    PipelineState.current()
    if target.paused:
        pause_processing()
    client = Client(enforce_csrf_checks=True)
    client.force_login(request.getfixturevalue(persona))
    before = snapshot(private_media_root)

    response = client.post(target.url(submission), target.data(submission))

    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content
    assert snapshot(private_media_root) == before


def test_signing_in_without_a_csrf_token_is_refused(staff):
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        reverse("login"),
        {"username": "amira", "password": "correct-horse-battery-staple"},
    )

    assert response.status_code == 403
    assert b"CSRF verification failed" in response.content
    assert "_auth_user_id" not in client.session


def test_the_same_form_with_its_token_goes_through(staff, private_media_root):
    # The refusals above are the token's doing, not the enforcing client's.
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    client.get(reverse("onboarding:submission_create"))
    token = client.cookies["csrftoken"].value

    response = client.post(
        reverse("onboarding:submission_create"),
        {**new_form(None), "csrfmiddlewaretoken": token},
    )

    assert response.status_code == 302
    assert Submission.objects.count() == 1
