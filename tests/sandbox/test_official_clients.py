"""Official Alibaba clients are accepted, and refused with a wrong secret."""

import json
import time

import oss2
import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from Tea.exceptions import TeaException

from tests import documents
from tests.sandbox.official import (
    SUBMIT_PARAMS,
    acs_call,
    cams_authorize,
    cams_client,
    cams_submit,
    oss_bucket,
)

SPACE_ID = SUBMIT_PARAMS["CustSpaceId"]


def authorize(sandbox, space_id: str = SPACE_ID) -> dict:
    return cams_authorize(cams_client(sandbox), space_id).body.to_map()["Data"]


def test_the_official_chatapp_sdk_authorizes_uploads_and_submits(sandbox):
    client = cams_client(sandbox)

    data = cams_authorize(client, SPACE_ID).body.to_map()["Data"]
    oss_bucket(data).put_object(f"{data['Dir']}/agreement.pdf", documents.minimal_pdf())
    answer = cams_submit(client)

    assert data["Dir"] == f"isv-terms/{SPACE_ID}"
    assert data["EndPoint"] == sandbox.url
    assert data["AccessKeyId"].startswith("STS.")
    assert data["Expire"] == 3600
    assert answer.body.code == "OK"
    assert answer.body.request_id
    [submitted] = sandbox.calls("SubmitIsvCustomerTerms")
    assert submitted.signature_method == "ACS3-HMAC-SHA256"
    assert submitted.params == SUBMIT_PARAMS


def test_the_official_chatapp_sdk_is_refused_with_a_wrong_secret(sandbox):
    client = cams_client(sandbox, secret="not-the-secret")

    with pytest.raises(TeaException) as refused:
        cams_authorize(client, SPACE_ID)

    assert refused.value.code == "SignatureDoesNotMatch"
    assert refused.value.data["statusCode"] == 400


def test_the_hmac_sha1_sdk_is_accepted_with_non_ascii_text(sandbox):
    data = authorize(sandbox)
    oss_bucket(data).put_object(f"{data['Dir']}/agreement.pdf", documents.minimal_pdf())
    params = {**SUBMIT_PARAMS, "OfficeAddress": "杭州 西湖区", "CustName": "A+B * C~"}

    answer = json.loads(acs_call(sandbox, "SubmitIsvCustomerTerms", params))

    assert answer["Code"] == "OK"
    [submitted] = sandbox.calls("SubmitIsvCustomerTerms")
    assert submitted.signature_method == "HMAC-SHA1"
    assert submitted.params["OfficeAddress"] == "杭州 西湖区"
    assert submitted.params["CustName"] == "A+B * C~"


def test_the_hmac_sha1_sdk_is_refused_with_a_wrong_secret(sandbox):
    with pytest.raises(ServerException) as refused:
        acs_call(
            sandbox,
            "GetChatappUploadAuthorization",
            {"CustSpaceId": SPACE_ID},
            secret="not-the-secret",
        )

    assert refused.value.get_error_code() == "SignatureDoesNotMatch"
    assert refused.value.get_http_status() == 400


def test_oss2_uploads_with_the_issued_credentials_and_reads_back(sandbox):
    data = authorize(sandbox)
    bucket = oss_bucket(data)
    key = f"{data['Dir']}/agreement.pdf"

    result = bucket.put_object(key, documents.minimal_pdf())

    # oss2 compares the server's CRC-64 with its own and raises on a mismatch.
    assert result.status == 200
    assert bucket.get_object(key).read() == documents.minimal_pdf()
    assert bucket.head_object(key).content_length == len(documents.minimal_pdf())
    assert sandbox.objects.read(data["BucketName"], key) == documents.minimal_pdf()


def test_oss2_streams_a_file_from_disk(sandbox, tmp_path):
    data = authorize(sandbox)
    path = tmp_path / "large.pdf"
    path.write_bytes(documents.padded_pdf(2 * 1024 * 1024))

    with path.open("rb") as handle:
        oss_bucket(data).put_object(f"{data['Dir']}/large.pdf", handle)

    stored = sandbox.objects.get(data["BucketName"], f"{data['Dir']}/large.pdf")
    assert stored.size == 2 * 1024 * 1024


def test_oss2_is_refused_with_a_wrong_secret(sandbox):
    data = authorize(sandbox)
    bucket = oss_bucket(data, secret="not-the-secret")

    with pytest.raises(oss2.exceptions.OssError) as refused:
        bucket.put_object(f"{data['Dir']}/agreement.pdf", b"%PDF-1.7")

    assert refused.value.status == 403
    assert refused.value.code == "SignatureDoesNotMatch"
    assert refused.value.request_id


def test_oss2_is_refused_once_the_token_expired(sandbox_config, tmp_path):
    from dataclasses import replace

    from onboarding.sandbox import Sandbox

    sandbox = Sandbox(replace(sandbox_config, sts_lifetime=1)).start()
    try:
        data = authorize(sandbox)
        time.sleep(1.2)

        with pytest.raises(oss2.exceptions.OssError) as refused:
            oss_bucket(data).put_object(f"{data['Dir']}/agreement.pdf", b"%PDF-1.7")
    finally:
        sandbox.stop()

    assert refused.value.status == 403
    assert refused.value.code == "SecurityTokenExpired"


def test_oss2_may_not_write_outside_the_issued_folder(sandbox):
    data = authorize(sandbox)
    other = authorize(sandbox, "999999999")

    with pytest.raises(oss2.exceptions.OssError) as refused:
        oss_bucket(data).put_object(f"{other['Dir']}/agreement.pdf", b"%PDF-1.7")

    assert refused.value.status == 403
    assert refused.value.code == "AccessDenied"


def test_reading_a_missing_object_answers_no_such_key(sandbox):
    data = authorize(sandbox)

    with pytest.raises(oss2.exceptions.NoSuchKey):
        oss_bucket(data).get_object(f"{data['Dir']}/missing.pdf")
