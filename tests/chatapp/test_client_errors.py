"""Every kind of failure reaches the pipeline as a classified ChatAppError."""

import io
import socket
import time
from dataclasses import replace

import pytest
import requests

from onboarding.chatapp import ChatAppError, ErrorKind
from onboarding.sandbox import Sandbox
from tests import documents
from tests.chatapp.conftest import terms, upload


def submit_error(client, space_id: str) -> ChatAppError:
    with pytest.raises(ChatAppError) as raised:
        client.submit_customer_terms(terms(space_id))
    return raised.value


def authorize_error(client, space_id: str) -> ChatAppError:
    with pytest.raises(ChatAppError) as raised:
        client.get_upload_authorization(space_id)
    return raised.value


@pytest.mark.parametrize(
    "kind,code,status,expected",
    [
        ("ram", "Ram.PermissionDeny", 400, ErrorKind.ACCOUNT),
        ("unsub", "Product.Unsubscript", 400, ErrorKind.ACCOUNT),
        ("owner", "Unknown.ResourceOwnerId", 400, ErrorKind.SUBMITTER),
        ("limit", "System.LimitControl", 400, ErrorKind.RETRYABLE),
        ("throttle", "Throttling.User", 400, ErrorKind.RETRYABLE),
        ("500", "InternalError", 500, ErrorKind.RETRYABLE),
        ("503", "ServiceUnavailable", 503, ErrorKind.RETRYABLE),
        ("http200", "Unknown.ResourceOwnerId", 200, ErrorKind.SUBMITTER),
    ],
)
def test_each_answered_failure_is_classified(client, kind, code, status, expected):
    error = submit_error(client, f"fail-{kind}-293483938849493")

    assert (error.code, error.http_status, error.kind) == (code, status, expected)
    assert error.request_id
    assert error.message
    assert error.call.outcome == expected
    assert error.call.code == code
    assert error.call.duration_ms > 0


def test_a_permission_denial_carries_its_detail(client):
    error = submit_error(client, "fail-ram-1")

    assert "cams:SubmitIsvCustomerTerms" in error.access_denied_detail
    assert error.call.access_denied_detail == error.access_denied_detail


def test_a_parameter_the_server_rejects_is_for_the_submitter(client):
    error = submit_error(client, "293483938849493")

    assert error.code == "InvalidParameter.IsvTerms"
    assert error.kind == ErrorKind.SUBMITTER


def test_a_submit_that_times_out_has_an_unknown_outcome(client):
    error = submit_error(client, "fail-slow-1")

    assert (error.code, error.kind) == ("ReadTimeout", ErrorKind.UNKNOWN_OUTCOME)
    assert error.http_status is None
    assert error.retryable


def test_an_authorization_that_times_out_is_simply_retryable(client):
    error = authorize_error(client, "fail-auth-slow-1")

    assert (error.code, error.kind) == ("ReadTimeout", ErrorKind.RETRYABLE)


def test_a_submit_whose_connection_drops_has_an_unknown_outcome(client):
    error = submit_error(client, "fail-drop-1")

    assert (error.code, error.kind) == ("ConnectionLost", ErrorKind.UNKNOWN_OUTCOME)


def test_a_refused_connection_was_never_sent_so_it_is_retryable(make_client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    client = make_client(endpoint=f"http://127.0.0.1:{closed_port}")

    with pytest.raises(ChatAppError) as raised:
        client.submit_customer_terms(terms())

    assert (raised.value.code, raised.value.kind) == (
        "ConnectionFailed",
        ErrorKind.RETRYABLE,
    )


def test_a_connect_timeout_was_never_sent_so_it_is_retryable(make_client):
    # A listening socket whose backlog is full never completes a handshake.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        fillers = []
        for _ in range(8):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(server.getsockname())
            fillers.append(filler)
        client = make_client(
            endpoint=f"http://127.0.0.1:{server.getsockname()[1]}",
            connect_timeout=0.3,
        )
        try:
            with pytest.raises(ChatAppError) as raised:
                client.submit_customer_terms(terms())
        finally:
            for filler in fillers:
                filler.close()

    assert (raised.value.code, raised.value.kind) == (
        "ConnectionFailed",
        ErrorKind.RETRYABLE,
    )


def test_a_wrong_secret_is_an_account_problem(make_client):
    client = make_client(access_key_secret="not-the-secret")

    error = authorize_error(client, "1")

    assert (error.code, error.kind) == ("SignatureDoesNotMatch", ErrorKind.ACCOUNT)
    assert "[redacted]" in error.message
    assert "CustSpaceId" not in error.message
    assert "CustSpaceId" not in str(error.call.response)


def test_an_unknown_key_is_an_account_problem(make_client):
    error = authorize_error(make_client(access_key_id="LTAI5tNobody"), "1")

    assert error.code == "InvalidAccessKeyId.NotFound"
    assert (error.http_status, error.kind) == (404, ErrorKind.ACCOUNT)


def test_an_expired_upload_token_asks_for_new_credentials(client):
    auth = client.get_upload_authorization("flaky-expiredtoken-1").authorization

    with pytest.raises(ChatAppError) as raised:
        client.upload_agreement(
            auth, file=io.BytesIO(documents.minimal_pdf()), file_name="a.pdf"
        )

    error = raised.value
    assert (error.code, error.http_status) == ("SecurityTokenExpired", 403)
    assert error.kind == ErrorKind.RETRYABLE
    assert error.refresh_authorization
    assert error.call.action == "OSS:PutObject"
    fresh = client.get_upload_authorization("flaky-expiredtoken-1").authorization
    uploaded = client.upload_agreement(
        fresh, file=io.BytesIO(documents.minimal_pdf()), file_name="a.pdf"
    )
    assert uploaded.call.outcome == "ok"


def test_an_authorization_that_really_expired_is_refused_by_oss(
    sandbox_config, make_client
):
    sandbox = Sandbox(replace(sandbox_config, sts_lifetime=1)).start()
    try:
        client = make_client(endpoint=sandbox.url)
        auth = client.get_upload_authorization("1").authorization
        time.sleep(1.2)
        with pytest.raises(ChatAppError) as raised:
            client.upload_agreement(auth, file=io.BytesIO(b"%PDF-"), file_name="a.pdf")
    finally:
        sandbox.stop()

    assert raised.value.refresh_authorization


def test_an_upload_to_an_unreachable_oss_is_retryable(client):
    auth = client.get_upload_authorization("1").authorization
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unreachable = replace(auth, endpoint=f"http://127.0.0.1:{closed}")

    with pytest.raises(ChatAppError) as raised:
        client.upload_agreement(unreachable, file=io.BytesIO(b"%PDF-"), file_name="a")

    assert (raised.value.code, raised.value.kind) == (
        "ConnectionFailed",
        ErrorKind.RETRYABLE,
    )


def test_the_client_never_retries_by_itself(client, sandbox):
    submit_error(client, "fail-503-1")

    assert len(sandbox.calls("SubmitIsvCustomerTerms")) == 1


def test_after_a_successful_upload_the_submit_succeeds(client):
    upload(client, "293483938849493")

    assert client.submit_customer_terms(terms()).call.outcome == "ok"


def test_a_failed_tls_handshake_was_never_sent_so_it_is_retryable(make_client, sandbox):
    # The sandbox speaks plain HTTP: a TLS client fails its handshake.
    client = make_client(endpoint=sandbox.url.replace("http://", "https://"))

    error = submit_error(client, "1")

    assert (error.code, error.kind) == ("ConnectionFailed", ErrorKind.RETRYABLE)


def test_a_session_given_with_retries_still_makes_each_call_once(sandbox):
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    from onboarding.chatapp import ChatAppClient, ChatAppConfig
    from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

    session = requests.Session()
    session.mount(
        "http://", HTTPAdapter(max_retries=Retry(total=3, allowed_methods=None))
    )
    client = ChatAppClient(
        ChatAppConfig(DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET, endpoint=sandbox.url),
        session=session,
    )

    error = submit_error(client, "fail-drop-1")

    assert error.code == "ConnectionLost"
    assert len(sandbox.calls("SubmitIsvCustomerTerms")) == 1


def test_an_upload_sends_the_whole_file_wherever_the_handle_stands(client, sandbox):
    content = documents.padded_pdf(100_000)
    handle = io.BytesIO(content)
    handle.seek(65_536)
    auth = client.get_upload_authorization("1").authorization

    uploaded = client.upload_agreement(auth, file=handle, file_name="a.pdf")

    assert sandbox.objects.read(auth.bucket, uploaded.key) == content
    assert uploaded.call.request["size"] == 100_000
