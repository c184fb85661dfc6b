"""The client against the sandbox, over real HTTP, on the happy path."""

import io
import tracemalloc
from datetime import UTC, datetime, timedelta

from onboarding.chatapp import ChatAppClient, ChatAppConfig
from onboarding.chatapp.client import expiry_time, with_scheme
from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from tests import documents
from tests.chatapp.conftest import terms, upload


def test_it_authorizes_uploads_and_submits(client, sandbox):
    authorized = client.get_upload_authorization("293483938849493")
    auth = authorized.authorization
    uploaded = client.upload_agreement(
        auth, file=io.BytesIO(documents.minimal_pdf()), file_name="terms-1a2b.pdf"
    )
    submitted = client.submit_customer_terms(terms(isv_terms="terms-1a2b.pdf"))

    assert auth.dir == "isv-terms/293483938849493"
    assert auth.endpoint == sandbox.url
    assert uploaded.key == "isv-terms/293483938849493/terms-1a2b.pdf"
    assert sandbox.objects.read(auth.bucket, uploaded.key) == documents.minimal_pdf()
    assert submitted.call.outcome == "ok"
    [recorded] = sandbox.calls("SubmitIsvCustomerTerms")
    assert recorded.params == terms(isv_terms="terms-1a2b.pdf").as_params()
    assert recorded.signature_method == "ACS3-HMAC-SHA256"


def test_each_call_reports_what_the_pipeline_stores(client):
    call = client.get_upload_authorization("293483938849493").call

    assert call.action == "GetChatappUploadAuthorization"
    assert call.http_status == 200
    assert (call.code, call.message, call.outcome) == ("OK", "OK", "ok")
    assert call.request_id
    assert call.duration_ms > 0
    assert abs(call.started_at - datetime.now(UTC)) < timedelta(seconds=5)
    assert call.request["CustSpaceId"] == "293483938849493"
    assert call.response["Data"]["AccessKeyId"] == "[redacted]"
    assert call.response["Data"]["AccessKeySecret"] == "[redacted]"
    assert call.response["Data"]["SecurityToken"] == "[redacted]"


def test_the_upload_reports_its_key_and_crc(client):
    uploaded = upload(client, "293483938849493")

    assert uploaded.call.action == "OSS:PutObject"
    assert uploaded.call.http_status == 200
    assert uploaded.call.request["key"] == uploaded.key
    assert uploaded.call.response["crc64"].isdigit()


def test_it_streams_the_upload_from_an_open_file(sandbox_process, tmp_path):
    size = 8 * 1024 * 1024
    path = tmp_path / "agreement.pdf"
    path.write_bytes(documents.padded_pdf(size))
    client = ChatAppClient(
        ChatAppConfig(
            DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, endpoint=sandbox_process
        )
    )
    auth = client.get_upload_authorization("1").authorization

    # The sandbox runs in its own process, so only the client is traced.
    tracemalloc.start()
    try:
        with path.open("rb") as handle:
            uploaded = client.upload_agreement(auth, file=handle, file_name="big.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert uploaded.call.request["size"] == size
    assert peak < 2 * 1024 * 1024


def test_every_attempt_has_a_fresh_nonce_and_reuses_the_connection(client, sandbox):
    for _ in range(3):
        client.get_upload_authorization("293483938849493")

    calls = sandbox.calls()
    assert [call.code for call in calls] == ["OK", "OK", "OK"]
    assert len({call.nonce for call in calls}) == 3
    assert all(len(call.nonce) >= 32 for call in calls)
    assert len({call.peer for call in calls}) == 1


def test_the_user_agent_names_the_portal(make_client, sandbox):
    make_client(user_agent="isv-terms/1.2.3").get_upload_authorization("1")

    assert sandbox.calls()[0].user_agent == "isv-terms/1.2.3"


def test_the_upload_names_the_portal_too(make_client, sandbox):
    seen = []
    client = make_client(user_agent="isv-terms/1.2.3")
    client.oss_session.session.hooks["response"].append(
        lambda response, **_: seen.append(response.request.headers["User-Agent"])
    )

    upload(client, "1")

    assert seen and seen[0].startswith("aliyun-sdk-python")
    assert seen[0].endswith("/isv-terms/1.2.3")


def test_a_bare_endpoint_gets_https_and_http_is_kept():
    assert with_scheme("cams.ap-southeast-1.aliyuncs.com") == (
        "https://cams.ap-southeast-1.aliyuncs.com"
    )
    assert with_scheme("oss-ap-southeast-1.aliyuncs.com/") == (
        "https://oss-ap-southeast-1.aliyuncs.com"
    )
    assert with_scheme("http://127.0.0.1:8001") == "http://127.0.0.1:8001"


def test_expire_is_a_lifetime_or_an_epoch_time():
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)

    assert expiry_time(3600, now) == now + timedelta(hours=1)
    assert expiry_time("3600", now) == now + timedelta(hours=1)
    assert expiry_time(1_796_292_000, now) == datetime.fromtimestamp(1_796_292_000, UTC)


def test_the_authorization_never_shows_its_secrets(client):
    auth = client.get_upload_authorization("1").authorization

    for text in (repr(auth), str(auth), f"{auth}"):
        assert auth.access_key_secret not in text
        assert auth.security_token not in text
        assert auth.access_key_id in text


def test_the_config_never_shows_the_secret():
    config = ChatAppConfig(access_key_id="LTAI5tX", access_key_secret="s3cr3t-value")

    assert "s3cr3t-value" not in repr(config)
    assert "s3cr3t-value" not in repr(ChatAppClient(config).config)


def test_expiry_is_reported_as_an_absolute_time(make_client, sandbox):
    auth = make_client().get_upload_authorization("1").authorization

    assert auth.expires_within(3700)
    assert not auth.expires_within(3500)
