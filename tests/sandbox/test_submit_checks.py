"""SubmitIsvCustomerTerms checks its parameters and the uploaded agreement."""

import pytest
from Tea.exceptions import TeaException

from tests import documents
from tests.sandbox.official import (
    SUBMIT_PARAMS,
    cams_authorize,
    cams_client,
    cams_submit,
    oss_bucket,
)


@pytest.fixture
def upload(sandbox):
    def put(name: str, content: bytes) -> None:
        client = cams_client(sandbox)
        data = cams_authorize(client, SUBMIT_PARAMS["CustSpaceId"]).body.to_map()
        bucket = oss_bucket(data["Data"])
        bucket.put_object(f"{data['Data']['Dir']}/{name}", content)

    return put


def refusal(sandbox, **params) -> tuple[str, str]:
    with pytest.raises(TeaException) as refused:
        cams_submit(cams_client(sandbox), **params)
    return refused.value.code, refused.value.message


def test_it_accepts_an_uploaded_pdf(sandbox, upload):
    upload("agreement.pdf", documents.minimal_pdf())

    assert cams_submit(cams_client(sandbox)).body.code == "OK"


def test_it_refuses_terms_that_were_never_uploaded(sandbox):
    code, message = refusal(sandbox)

    assert code == "InvalidParameter.IsvTerms"
    assert "isv-terms/293483938849493/agreement.pdf" in message


def test_it_refuses_an_upload_that_is_not_a_pdf(sandbox, upload):
    upload("agreement.pdf", b"PK\x03\x04 not a pdf")

    assert refusal(sandbox)[0] == "InvalidParameter.IsvTerms"


def test_it_wants_the_file_name_not_the_key(sandbox, upload):
    upload("agreement.pdf", documents.minimal_pdf())

    code, message = refusal(sandbox, IsvTerms="isv-terms/293483938849493/agreement.pdf")

    assert code == "InvalidParameter.IsvTerms"
    assert "file name only" in message


@pytest.mark.parametrize("country", ["cn", "CHN", "C1"])
def test_it_refuses_a_malformed_country(sandbox, upload, country):
    assert refusal(sandbox, CountryId=country)[0] == "InvalidParameter.CountryId"


def test_it_refuses_a_contact_without_an_address(sandbox):
    assert refusal(sandbox, ContactMail="nobody")[0] == "InvalidParameter.ContactMail"
