"""Plain words for why a submission failed, and who can fix it."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from onboarding.chatapp import ChatAppError, ErrorKind
from onboarding.models import FixableBy

# Which of the customer's terms an Alibaba parameter name stands for.
FIELD_NAMES = {
    "CustSpaceId": gettext_lazy("customer space ID"),
    "CustName": gettext_lazy("company name"),
    "OfficeAddress": gettext_lazy("office address"),
    "ContactMail": gettext_lazy("contact email"),
    "CountryId": gettext_lazy("country"),
    "BusinessDesc": gettext_lazy("business description"),
    "IsvTerms": gettext_lazy("agreement"),
}


def _field_in(code: str) -> str:
    for prefix in ("InvalidParameter.", "Missing", "Invalid"):
        if code.startswith(prefix):
            name = code.removeprefix(prefix)
            return str(FIELD_NAMES.get(name, name))
    return ""


def explain(error: ChatAppError, *, cust_space_id: str) -> tuple[str, str]:
    """Return (reason, who can fix it) for a permanent failure."""
    code = error.code
    if error.kind == ErrorKind.SUBMITTER:
        if code == "Unknown.ResourceOwnerId":
            reason = _(
                "Alibaba Cloud says space ID %(space_id)s does not belong to this "
                "ISV account. Check the customer's space ID, then resubmit."
            ) % {"space_id": cust_space_id}
        elif code.startswith("Missing"):
            reason = _(
                "Alibaba Cloud says the %(field)s is missing. Fill it in, then "
                "resubmit."
            ) % {"field": _field_in(code)}
        else:
            reason = _(
                "Alibaba Cloud refused the %(field)s: %(message)s Correct it, then "
                "resubmit."
            ) % {"field": _field_in(code) or code, "message": error.message}
        return reason, FixableBy.SUBMITTER

    if error.kind == ErrorKind.ACCOUNT:
        return account_reason(error), FixableBy.SUPPORT

    return (
        _(
            "Alibaba Cloud gave an answer the portal did not expect (%(code)s: "
            "%(message)s). Support will look into it; nothing is needed from you."
        )
        % {"code": code or _("no code"), "message": error.message},
        FixableBy.SUPPORT,
    )


def account_reason(error: ChatAppError) -> str:
    code = error.code
    if code == "Product.Unsubscript":
        problem = _("the ISV's Alibaba Cloud account is not subscribed to ChatApp")
    elif code in ("Ram.PermissionDeny", "Forbidden.RAM") or code.startswith(
        "Forbidden."
    ):
        problem = _(
            "the portal's Alibaba Cloud key is not allowed to submit customer terms"
        )
    else:
        problem = _("Alibaba Cloud does not accept the portal's access key")
    return _(
        "Processing is paused: %(problem)s (%(code)s). Support has been told; "
        "nothing is needed from you."
    ) % {"problem": problem, "code": code}


def retries_exhausted(error: ChatAppError) -> str:
    return _(
        "Retries exhausted: Alibaba Cloud could not be reached or kept refusing "
        "for about an hour (last answer: %(code)s). Support can send it again."
    ) % {"code": error.code or _("none")}
