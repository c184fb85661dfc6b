"""The sandbox stays correct under concurrency, bad framing and shutdown."""

import socket
import threading
import time
from dataclasses import replace
from email.utils import formatdate

import oss2
import pytest
import requests

from onboarding.sandbox import Sandbox
from onboarding.sandbox.oss_auth import signature, string_to_sign
from tests.sandbox.official import cams_authorize, cams_client, oss_bucket


@pytest.fixture
def authorization(sandbox) -> dict:
    return cams_authorize(cams_client(sandbox), "293483938849493").body.to_map()["Data"]


def raw_request(sandbox, request: bytes) -> bytes:
    host, port = sandbox.httpd.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(request)
        connection.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def signed_put_headers(authorization: dict, key: str, *, date: str | None = None):
    headers = {
        "date": date or formatdate(usegmt=True),
        "content-type": "application/pdf",
        "x-oss-security-token": authorization["SecurityToken"],
    }
    sign = string_to_sign(
        method="PUT", headers=headers, bucket=authorization["BucketName"], key=key
    )
    headers["authorization"] = (
        f"OSS {authorization['AccessKeyId']}:"
        f"{signature(authorization['AccessKeySecret'], sign)}"
    )
    return headers


def test_oss2_can_upload_with_chunked_encoding(sandbox, authorization):
    key = f"{authorization['Dir']}/chunked.pdf"
    pieces = [b"%PDF-1.7\n", b"x" * 70_000, b"\n%%EOF\n"]

    oss_bucket(authorization).put_object(key, iter(pieces))

    assert sandbox.objects.read(authorization["BucketName"], key) == b"".join(pieces)


def test_an_interrupted_chunked_upload_is_not_stored(sandbox, authorization):
    key = f"{authorization['Dir']}/cut.pdf"
    headers = signed_put_headers(authorization, key)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"PUT /{authorization['BucketName']}/{key} HTTP/1.1\r\nHost: x\r\n{head}"
        "Transfer-Encoding: chunked\r\n\r\n400\r\n%PDF-1.7 cut short"
    ).encode()

    raw_request(sandbox, request)

    assert sandbox.objects.get(authorization["BucketName"], key) is None
    assert list((sandbox.objects.root / "incoming").iterdir()) == []


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_a_malformed_content_length_gets_a_clear_oss_error(
    sandbox, authorization, length
):
    key = f"{authorization['Dir']}/bad.pdf"
    head = "".join(
        f"{name}: {value}\r\n"
        for name, value in signed_put_headers(authorization, key).items()
    )
    request = (
        f"PUT /{authorization['BucketName']}/{key} HTTP/1.1\r\nHost: x\r\n{head}"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()

    answer = raw_request(sandbox, request)

    assert answer.startswith(b"HTTP/1.1 400")
    assert b"<Code>InvalidArgument</Code>" in answer


def test_a_sub_resource_is_refused_as_not_implemented(sandbox, authorization):
    response = requests.get(
        f"{sandbox.url}/{authorization['BucketName']}/x?acl", timeout=5
    )

    assert response.status_code == 501
    assert "<Code>NotImplemented</Code>" in response.text


def test_a_wrong_security_token_is_refused(sandbox, authorization):
    auth = oss2.StsAuth(
        authorization["AccessKeyId"], authorization["AccessKeySecret"], "forged"
    )
    bucket = oss2.Bucket(auth, authorization["EndPoint"], authorization["BucketName"])

    with pytest.raises(oss2.exceptions.OssError) as refused:
        bucket.put_object(f"{authorization['Dir']}/a.pdf", b"%PDF-")

    assert (refused.value.status, refused.value.code) == (403, "InvalidSecurityToken")


def test_a_request_dated_20_minutes_ago_is_refused(sandbox, authorization):
    key = f"{authorization['Dir']}/old.pdf"
    old = formatdate(time.time() - 1200, usegmt=True)
    headers = signed_put_headers(authorization, key, date=old)

    response = requests.put(
        f"{sandbox.url}/{authorization['BucketName']}/{key}",
        data=b"%PDF-",
        headers=headers,
        timeout=5,
    )

    assert response.status_code == 403
    assert "<Code>RequestTimeTooSkewed</Code>" in response.text


def test_concurrent_overwrites_never_mix_size_and_content(sandbox, authorization):
    bucket = oss_bucket(authorization)
    key = f"{authorization['Dir']}/busy.pdf"
    versions = [b"%PDF-" + bytes([65 + n]) * (50_000 * (n + 1)) for n in range(3)]
    bucket.put_object(key, versions[0])
    problems = []
    deadline = time.monotonic() + 2

    def write(content: bytes):
        while time.monotonic() < deadline:
            bucket.put_object(key, content)

    def read():
        while time.monotonic() < deadline:
            body = bucket.get_object(key).read()
            if body not in versions:
                problems.append(len(body))

    threads = [threading.Thread(target=write, args=(v,)) for v in versions]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert problems == []
    data_files = list(sandbox.objects.root.glob("*.data"))
    assert len(data_files) == 1


def test_stopping_closes_kept_alive_connections(sandbox_config):
    sandbox = Sandbox(sandbox_config).start()
    session = requests.Session()
    assert session.get(f"{sandbox.url}/_sandbox/calls", timeout=5).ok

    sandbox.stop()

    with pytest.raises(requests.ConnectionError):
        session.get(f"{sandbox.url}/_sandbox/calls", timeout=5)


def test_a_sandbox_never_started_stops_at_once(sandbox_config):
    sandbox = Sandbox(replace(sandbox_config))
    started = time.monotonic()

    sandbox.stop()

    assert time.monotonic() - started < 2
