"""HMAC-SHA1 requests get the same checks as V3, and bodies may carry params."""

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.sandbox.official import signed_v3_post, v1_post

AUTHORIZE = {
    "Action": "GetChatappUploadAuthorization",
    "Version": "2020-06-06",
    "CustSpaceId": "293483938849493",
}


def utc(offset=timedelta()) -> str:
    return (datetime.now(UTC) + offset).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_v1_timestamp_16_minutes_old_is_refused(sandbox, monkeypatch):
    response = v1_post(
        sandbox,
        monkeypatch,
        AUTHORIZE,
        timestamp=utc(timedelta(minutes=-16)),
        nonce=uuid.uuid4().hex,
    )

    assert response.json()["Code"] == "InvalidTimeStamp.Expired"


def test_a_v1_nonce_is_accepted_only_once(sandbox, monkeypatch):
    nonce = uuid.uuid4().hex

    first = v1_post(sandbox, monkeypatch, AUTHORIZE, timestamp=utc(), nonce=nonce)
    second = v1_post(sandbox, monkeypatch, AUTHORIZE, timestamp=utc(), nonce=nonce)

    assert first.json()["Code"] == "OK"
    assert second.json()["Code"] == "SignatureNonceUsed"


def test_a_v1_unknown_key_is_not_found(sandbox, monkeypatch):
    response = v1_post(
        sandbox,
        monkeypatch,
        AUTHORIZE,
        timestamp=utc(),
        nonce=uuid.uuid4().hex,
        access_key_id="LTAI5tNobody",
    )

    assert response.status_code == 404
    assert response.json()["Code"] == "InvalidAccessKeyId.NotFound"


def test_v1_parameters_may_come_in_a_form_body(sandbox, monkeypatch):
    response = v1_post(
        sandbox,
        monkeypatch,
        {"Action": "GetChatappUploadAuthorization", "Version": "2020-06-06"},
        form={"CustSpaceId": "in body 杭州"},
        timestamp=utc(),
        nonce=uuid.uuid4().hex,
    )

    assert response.json()["Code"] == "OK"
    [call] = sandbox.calls()
    assert call.params == {"CustSpaceId": "in body 杭州"}


def test_a_v1_call_records_no_signature_or_key(sandbox, monkeypatch):
    v1_post(sandbox, monkeypatch, AUTHORIZE, timestamp=utc(), nonce=uuid.uuid4().hex)

    [call] = sandbox.calls()
    assert call.params == {"CustSpaceId": "293483938849493"}


def test_v1_without_version_is_told_so(sandbox, monkeypatch):
    params = {"Action": "GetChatappUploadAuthorization", "CustSpaceId": "1"}

    response = v1_post(
        sandbox, monkeypatch, params, timestamp=utc(), nonce=uuid.uuid4().hex
    )

    assert response.json()["Code"] == "MissingVersion"


def test_v3_parameters_may_come_in_a_signed_form_body(sandbox):
    response = signed_v3_post(
        sandbox,
        "GetChatappUploadAuthorization",
        {},
        form={"CustSpaceId": "a b+c"},
        date=utc(),
        nonce=uuid.uuid4().hex,
    )

    assert response.json()["Code"] == "OK"
    assert sandbox.calls()[0].params == {"CustSpaceId": "a b+c"}


def test_a_body_that_does_not_match_its_hash_is_refused(sandbox):
    response = signed_v3_post(
        sandbox,
        "GetChatappUploadAuthorization",
        {},
        form={"CustSpaceId": "1"},
        claimed_body_sha256=hashlib.sha256(b"something else").hexdigest(),
        date=utc(),
        nonce=uuid.uuid4().hex,
    )

    assert response.json()["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize("left_out", ["x-acs-signature-nonce", "host"])
def test_a_required_header_left_out_of_the_signature_is_incomplete(sandbox, left_out):
    response = signed_v3_post(
        sandbox,
        "GetChatappUploadAuthorization",
        {"CustSpaceId": "1"},
        date=utc(),
        nonce=uuid.uuid4().hex,
        unsigned=left_out,
    )

    assert response.status_code == 400
    assert response.json()["Code"] == "IncompleteSignature"
    assert left_out in response.json()["Message"]
