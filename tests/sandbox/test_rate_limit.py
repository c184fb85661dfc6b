import uuid
from dataclasses import replace
from datetime import UTC, datetime

from onboarding.sandbox import Sandbox
from tests.sandbox.official import signed_v3_post


def authorize(sandbox, action="GetChatappUploadAuthorization"):
    return signed_v3_post(
        sandbox,
        action,
        {"CustSpaceId": "293483938849493"},
        date=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        nonce=uuid.uuid4().hex,
    )


def test_six_calls_inside_one_second_get_at_least_one_refusal(sandbox):
    answers = [authorize(sandbox) for _ in range(6)]

    refused = [a for a in answers if a.json()["Code"] == "System.LimitControl"]
    assert refused
    assert all(a.status_code == 400 for a in refused)


def test_each_action_has_its_own_allowance(sandbox):
    for _ in range(5):
        assert authorize(sandbox).status_code == 200

    other = authorize(sandbox, action="SubmitIsvCustomerTerms")

    assert other.json()["Code"] == "MissingCustName"


def test_the_limit_is_configurable(sandbox_config):
    sandbox = Sandbox(replace(sandbox_config, rate_limit=2)).start()
    try:
        codes = [authorize(sandbox).json()["Code"] for _ in range(3)]
    finally:
        sandbox.stop()

    assert codes == ["OK", "OK", "System.LimitControl"]
