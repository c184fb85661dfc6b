import pytest

from onboarding.chatapp.errors import ErrorKind, classify
from onboarding.chatapp.naming import agreement_object_name


@pytest.mark.parametrize(
    "code,status,kind",
    [
        ("Throttling.User", 400, ErrorKind.RETRYABLE),
        ("System.LimitControl", 400, ErrorKind.RETRYABLE),
        ("ServiceUnavailable", 503, ErrorKind.RETRYABLE),
        ("InternalError", 500, ErrorKind.RETRYABLE),
        ("Anything", 502, ErrorKind.RETRYABLE),
        ("", 429, ErrorKind.RETRYABLE),
        ("InvalidTimeStamp.Expired", 400, ErrorKind.RETRYABLE),
        ("SignatureNonceUsed", 400, ErrorKind.RETRYABLE),
        ("Unknown.ResourceOwnerId", 400, ErrorKind.SUBMITTER),
        ("MissingCustName", 400, ErrorKind.SUBMITTER),
        ("InvalidParameter", 400, ErrorKind.SUBMITTER),
        ("InvalidParameter.IsvTerms", 400, ErrorKind.SUBMITTER),
        ("InvalidCountryId.Malformed", 400, ErrorKind.SUBMITTER),
        ("Ram.PermissionDeny", 400, ErrorKind.ACCOUNT),
        ("Forbidden.RAM", 403, ErrorKind.ACCOUNT),
        ("Product.Unsubscript", 400, ErrorKind.ACCOUNT),
        ("InvalidAccessKeyId.NotFound", 404, ErrorKind.ACCOUNT),
        ("InvalidAccessKeyId.Inactive", 400, ErrorKind.ACCOUNT),
        ("InvalidSecurityToken.Expired", 400, ErrorKind.ACCOUNT),
        ("SignatureDoesNotMatch", 400, ErrorKind.ACCOUNT),
        ("IncompleteSignature", 400, ErrorKind.ACCOUNT),
        ("InvalidAction.NotFound", 404, ErrorKind.UNEXPECTED),
        ("InvalidApi.NotFound", 404, ErrorKind.UNEXPECTED),
        ("InvalidVersion", 400, ErrorKind.UNEXPECTED),
        ("InvalidTimeStamp.Format", 400, ErrorKind.UNEXPECTED),
        ("MissingAction", 400, ErrorKind.UNEXPECTED),
        ("Something.New", 400, ErrorKind.UNEXPECTED),
    ],
)
def test_each_code_is_classified(code, status, kind):
    assert classify(code, status) == kind


@pytest.mark.parametrize(
    "original,expected",
    [
        ("Nusantara terms (signed).pdf", "Nusantara-terms-signed-3f2a9c1b.pdf"),
        ("合同.pdf", "agreement-3f2a9c1b.pdf"),
        ("Café Übersee.PDF", "Cafe-Ubersee-3f2a9c1b.pdf"),
        ("../../etc/passwd", "passwd-3f2a9c1b.pdf"),
        ("a.b.c.pdf", "a-b-c-3f2a9c1b.pdf"),
        ("x" * 300 + ".pdf", "x" * 60 + "-3f2a9c1b.pdf"),
    ],
)
def test_object_names_are_safe_and_unique(original, expected):
    assert agreement_object_name(original, "3f2a9c1b") == expected


def test_an_object_name_needs_a_unique_part():
    with pytest.raises(ValueError):
        agreement_object_name("a.pdf", "--")
