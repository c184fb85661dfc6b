"""Each documented failure can be caused on purpose with a space-ID prefix."""

import time
import uuid
from datetime import UTC, datetime

import oss2
import pytest
import requests
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_tea_openapi import models as openapi_models
from Tea.exceptions import TeaException

from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from tests.sandbox.official import (
    SUBMIT_PARAMS,
    cams_authorize,
    oss_bucket,
    signed_v3_post,
)

SUBMIT = "SubmitIsvCustomerTerms"
AUTHORIZE = "GetChatappUploadAuthorization"


def call(sandbox, action: str, space_id: str):
    params = {**SUBMIT_PARAMS, "CustSpaceId": space_id}
    if action == AUTHORIZE:
        params = {"CustSpaceId": space_id}
    return signed_v3_post(
        sandbox,
        action,
        params,
        date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        nonce=uuid.uuid4().hex,
    )


@pytest.mark.parametrize(
    "kind,status,code",
    [
        ("ram", 400, "Ram.PermissionDeny"),
        ("unsub", 400, "Product.Unsubscript"),
        ("owner", 400, "Unknown.ResourceOwnerId"),
        ("limit", 400, "System.LimitControl"),
        ("throttle", 400, "Throttling.User"),
        ("500", 500, "InternalError"),
        ("503", 503, "ServiceUnavailable"),
        ("http200", 200, "Unknown.ResourceOwnerId"),
    ],
)
def test_a_fail_prefix_makes_submit_answer_that_error(sandbox, kind, status, code):
    response = call(sandbox, SUBMIT, f"fail-{kind}-293483938849493")

    assert response.status_code == status
    assert response.json()["Code"] == code
    assert response.json()["RequestId"]
    [recorded] = sandbox.calls(SUBMIT)
    assert (recorded.code, recorded.scenario) == (code, kind)


def test_a_permission_denial_explains_itself(sandbox):
    body = call(sandbox, SUBMIT, "fail-ram-1").json()

    assert "cams:SubmitIsvCustomerTerms" in body["AccessDeniedDetail"]


def test_the_prefix_leaves_authorization_alone(sandbox):
    assert call(sandbox, AUTHORIZE, "fail-ram-1").json()["Code"] == "OK"


def test_an_auth_prefix_targets_authorization(sandbox):
    response = call(sandbox, AUTHORIZE, "fail-auth-503-1")

    assert response.status_code == 503
    assert response.json()["Code"] == "ServiceUnavailable"


def test_a_flaky_prefix_fails_the_first_calls_only(sandbox):
    codes = [
        call(sandbox, AUTHORIZE, "flaky2-auth-500-1").json()["Code"] for _ in (1, 2, 3)
    ]

    assert codes == ["InternalError", "InternalError", "OK"]


def test_a_plain_flaky_prefix_fails_once(sandbox):
    codes = [
        call(sandbox, AUTHORIZE, "flaky-auth-limit-7").json()["Code"] for _ in (1, 2)
    ]

    assert codes == ["System.LimitControl", "OK"]


def test_a_slow_answer_outlasts_the_clients_timeout(sandbox):
    client = CamsClient(
        openapi_models.Config(
            access_key_id=DEMO_ACCESS_KEY_ID,
            access_key_secret=DEMO_ACCESS_KEY_SECRET,
            endpoint=sandbox.url.removeprefix("http://"),
            protocol="http",
            read_timeout=500,
        )
    )

    started = time.monotonic()
    with pytest.raises(TeaException, match=r"(?i)read timed out"):
        cams_authorize(client, "fail-auth-slow-1")

    assert time.monotonic() - started < 2
    # The answer still comes, after the client gave up waiting.
    deadline = time.monotonic() + 5
    while not sandbox.calls() or sandbox.calls()[0].code != "OK":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_dropped_connection_gets_no_answer(sandbox):
    with pytest.raises(requests.ConnectionError):
        call(sandbox, SUBMIT, "fail-drop-1")

    [recorded] = sandbox.calls(SUBMIT)
    assert recorded.code == "ConnectionDropped"


def test_an_expired_token_is_refused_by_oss(sandbox):
    first = call(sandbox, AUTHORIZE, "flaky-expiredtoken-1").json()["Data"]
    second = call(sandbox, AUTHORIZE, "flaky-expiredtoken-1").json()["Data"]

    # The answer promises the usual lifetime; OSS knows better.
    assert first["Expire"] == 3600
    with pytest.raises(oss2.exceptions.OssError) as refused:
        oss_bucket(first).put_object(f"{first['Dir']}/a.pdf", b"%PDF-1.7")
    assert refused.value.code == "SecurityTokenExpired"
    assert (
        oss_bucket(second).put_object(f"{second['Dir']}/a.pdf", b"%PDF-1.7").status
        == 200
    )


def test_an_unknown_kind_is_an_ordinary_space_id(sandbox):
    response = call(sandbox, AUTHORIZE, "fail-nothing-1")

    assert response.json()["Code"] == "OK"
    assert response.json()["Data"]["Dir"] == "isv-terms/fail-nothing-1"
