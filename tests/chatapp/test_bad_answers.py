"""A server that answers badly gets a clear error, never a crash."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from onboarding.chatapp import ChatAppError, ErrorKind
from tests.chatapp.conftest import terms

ANSWERS = {
    # path: (status, headers, body)
    "html": (200, {"Content-Type": "text/html"}, b"<html>Gateway</html>"),
    "empty": (200, {}, b""),
    "html502": (502, {"Content-Type": "text/html"}, b"<h1>Bad Gateway</h1>"),
    "html403": (403, {"Content-Type": "text/html"}, b"<h1>Forbidden</h1>"),
    "list": (200, {"Content-Type": "application/json"}, b"[1, 2]"),
    "nocode": (200, {"Content-Type": "application/json"}, b'{"RequestId": "r"}'),
    "nodata": (200, {}, b'{"RequestId": "r", "Code": "OK"}'),
    "html429": (429, {"Content-Type": "text/html"}, b"<h1>Too Many</h1>"),
    "truncatedsecret": (
        200,
        {"Content-Type": "application/json"},
        b'{"Code": "OK", "Data": {"AccessKeyId": "STS.a", "AccessKeySecret": '
        b'"sts-secret-value", "SecurityToken": "sts-token-value',
    ),
}
for _name, _expire in [
    ("badexpire", '"soon"'),
    ("hugeexpire", "1e20"),
    ("negativeexpire", "-1e15"),
    ("infexpire", "1e400"),
]:
    ANSWERS[_name] = (
        200,
        {},
        b'{"Code": "OK", "Data": {"AccessKeyId": "a", "AccessKeySecret": "b", '
        b'"SecurityToken": "c", "BucketName": "d", "Dir": "e", "EndPoint": "f", '
        b'"Expire": ' + _expire.encode() + b"}}",
    )


class BadServer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        scenario = self.server.scenario
        if scenario == "truncated":
            self.send_response(200)
            self.send_header("Content-Length", "400")
            self.end_headers()
            self.wfile.write(b'{"RequestId": "r", "Co')
            self.close_connection = True
            return
        status, headers, body = ANSWERS[scenario]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def bad_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), BadServer)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def answer(bad_server, make_client, scenario: str, *, submit: bool = True):
    bad_server.scenario = scenario
    client = make_client(endpoint=f"http://127.0.0.1:{bad_server.server_address[1]}")
    with pytest.raises(ChatAppError) as raised:
        if submit:
            client.submit_customer_terms(terms())
        else:
            client.get_upload_authorization("1")
    return raised.value


@pytest.mark.parametrize(
    "scenario,submit,kind",
    [
        ("html", True, ErrorKind.UNKNOWN_OUTCOME),
        ("html", False, ErrorKind.RETRYABLE),
        ("empty", True, ErrorKind.UNKNOWN_OUTCOME),
        ("html502", True, ErrorKind.RETRYABLE),
        ("html403", True, ErrorKind.UNEXPECTED),
        ("list", False, ErrorKind.RETRYABLE),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_clear_error(
    bad_server, make_client, scenario, submit, kind
):
    error = answer(bad_server, make_client, scenario, submit=submit)

    assert error.code == "InvalidResponse"
    assert error.kind == kind
    assert "HTTP" in error.message
    assert error.call.http_status == error.http_status


def test_an_empty_body_says_it_was_empty(bad_server, make_client):
    assert "empty body" in answer(bad_server, make_client, "empty").message


def test_a_truncated_answer_to_a_write_has_an_unknown_outcome(bad_server, make_client):
    error = answer(bad_server, make_client, "truncated")

    assert (error.code, error.kind) == ("TruncatedResponse", ErrorKind.UNKNOWN_OUTCOME)


def test_an_answer_without_a_code_is_not_a_success(bad_server, make_client):
    error = answer(bad_server, make_client, "nocode")

    assert error.kind == ErrorKind.UNEXPECTED
    assert error.http_status == 200


@pytest.mark.parametrize(
    "scenario", ["nodata", "badexpire", "hugeexpire", "negativeexpire", "infexpire"]
)
def test_an_authorization_without_usable_data_is_unexpected(
    bad_server, make_client, scenario
):
    error = answer(bad_server, make_client, scenario, submit=False)

    assert (error.code, error.kind) == ("InvalidResponse", ErrorKind.UNEXPECTED)
    assert "upload authorization" in error.message


def test_a_truncated_authorization_keeps_its_secrets_out_of_the_record(
    bad_server, make_client
):
    error = answer(bad_server, make_client, "truncatedsecret", submit=False)

    recorded = str(error.call.response)
    assert "sts-secret-value" not in recorded
    assert "sts-token-value" not in recorded
    assert error.call.response["length"] > 0


def test_a_non_json_429_is_retryable(bad_server, make_client):
    assert answer(bad_server, make_client, "html429").kind == ErrorKind.RETRYABLE
