"""Every RPC request is checked as Alibaba's gateway checks it."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from Tea.exceptions import TeaException

from tests.sandbox.official import cams_authorize, cams_client, signed_v3_post


def utc(offset: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def post(sandbox, *, date=None, nonce=None, params=None, **options):
    return signed_v3_post(
        sandbox,
        options.pop("action", "GetChatappUploadAuthorization"),
        {"CustSpaceId": "293483938849493"} if params is None else params,
        date=date or utc(),
        nonce=nonce or uuid.uuid4().hex,
        **options,
    )


def test_a_request_signed_by_the_official_signer_is_accepted(sandbox):
    response = post(sandbox)

    assert response.status_code == 200
    assert response.json()["Code"] == "OK"


@pytest.mark.parametrize("minutes", [-16, 16])
def test_a_timestamp_more_than_15_minutes_off_is_refused(sandbox, minutes):
    response = post(sandbox, date=utc(timedelta(minutes=minutes)))

    assert response.status_code == 400
    assert response.json()["Code"] == "InvalidTimeStamp.Expired"


def test_a_timestamp_14_minutes_old_is_accepted(sandbox):
    assert post(sandbox, date=utc(timedelta(minutes=-14))).status_code == 200


def test_a_nonce_is_accepted_only_once(sandbox):
    nonce = uuid.uuid4().hex

    first = post(sandbox, nonce=nonce)
    second = post(sandbox, nonce=nonce)

    assert first.status_code == 200
    assert second.status_code == 400
    assert second.json()["Code"] == "SignatureNonceUsed"


def test_an_unknown_access_key_is_not_found(sandbox):
    client = cams_client(sandbox, access_key_id="LTAI5tSomebodyElse")

    with pytest.raises(TeaException) as refused:
        cams_authorize(client, "293483938849493")

    assert refused.value.code == "InvalidAccessKeyId.NotFound"
    assert refused.value.data["statusCode"] == 404


def test_an_unsigned_request_is_incomplete(sandbox):
    response = requests.post(
        f"{sandbox.url}/?Action=GetChatappUploadAuthorization&CustSpaceId=1",
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["Code"] == "IncompleteSignature"


def test_a_missing_parameter_is_named(sandbox):
    response = post(sandbox, params={})

    assert response.status_code == 400
    assert response.json()["Code"] == "MissingCustSpaceId"


def test_submit_names_each_missing_parameter(sandbox):
    response = post(
        sandbox, action="SubmitIsvCustomerTerms", params={"CustSpaceId": "1"}
    )

    assert response.json()["Code"] == "MissingCustName"


def test_an_unknown_action_is_not_found(sandbox):
    response = post(sandbox, action="SendChatappMessage")

    assert response.status_code == 404
    assert response.json()["Code"] == "InvalidAction.NotFound"


def test_another_api_version_is_refused(sandbox):
    response = post(sandbox, version="2019-01-01")

    assert response.json()["Code"] == "InvalidVersion"


def test_a_signature_mismatch_echoes_what_the_server_signed(sandbox):
    response = post(sandbox, secret="not-the-secret")

    body = response.json()
    assert body["Code"] == "SignatureDoesNotMatch"
    assert "server string to sign is:" in body["Message"]
    assert "CustSpaceId=293483938849493" in body["Message"]
