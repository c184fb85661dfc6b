import time
from dataclasses import replace

import requests

from onboarding.sandbox import Sandbox
from tests import documents
from tests.sandbox.official import cams_authorize, cams_client, oss_bucket


def authorize(sandbox, space_id="293483938849493") -> dict:
    return cams_authorize(cams_client(sandbox), space_id).body.to_map()["Data"]


def test_objects_and_credentials_survive_a_restart(sandbox_config):
    first = Sandbox(sandbox_config).start()
    data = authorize(first)
    key = f"{data['Dir']}/agreement.pdf"
    oss_bucket(data).put_object(key, documents.minimal_pdf())
    first.stop()

    second = Sandbox(replace(sandbox_config, port=first.httpd.server_address[1]))
    second.start()
    try:
        assert oss_bucket(data).get_object(key).read() == documents.minimal_pdf()
        assert second.objects.read(data["BucketName"], key) == documents.minimal_pdf()
    finally:
        second.stop()


def test_expire_can_be_reported_as_an_epoch_time(sandbox_config):
    sandbox = Sandbox(replace(sandbox_config, expire_style="epoch")).start()
    try:
        expire = authorize(sandbox)["Expire"]
    finally:
        sandbox.stop()

    assert abs(expire - (time.time() + 3600)) < 60


def test_calls_and_objects_can_be_inspected_over_http(sandbox):
    data = authorize(sandbox)
    oss_bucket(data).put_object(f"{data['Dir']}/a.pdf", documents.minimal_pdf())

    calls = requests.get(f"{sandbox.url}/_sandbox/calls", timeout=5).json()
    objects = requests.get(f"{sandbox.url}/_sandbox/objects", timeout=5).json()

    assert [c["action"] for c in calls] == ["GetChatappUploadAuthorization"]
    assert calls[0]["params"] == {"CustSpaceId": "293483938849493"}
    assert [o["key"] for o in objects] == [f"{data['Dir']}/a.pdf"]
