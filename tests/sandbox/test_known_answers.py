"""The sandbox's verifiers reproduce Alibaba's published signing examples."""

from datetime import UTC, datetime

import pytest

from onboarding.sandbox.crc64 import crc64_update
from onboarding.sandbox.errors import RpcError
from onboarding.sandbox.oss_auth import signature, string_to_sign
from onboarding.sandbox.rpc_auth import IncomingRequest, RpcVerifier


def at(timestamp: str) -> float:
    parsed = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ")
    return parsed.replace(tzinfo=UTC).timestamp()


V3_EXAMPLE_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-content-sha256": (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    ),
    "x-acs-date": "2023-10-26T10:22:32Z",
    "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-version": "2014-05-26",
}
V3_EXAMPLE_QUERY = (
    "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai"
)
V3_EXAMPLE_SIGNATURE = (
    "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
)


def v3_example(signature: str) -> IncomingRequest:
    headers = dict(V3_EXAMPLE_HEADERS)
    headers["authorization"] = (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
        "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
        f"x-acs-version,Signature={signature}"
    )
    return IncomingRequest("POST", "/", V3_EXAMPLE_QUERY, headers, b"")


def example_verifier(clock: str) -> RpcVerifier:
    return RpcVerifier(
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        clock=lambda: at(clock),
    )


def test_it_accepts_alibabas_published_v3_example():
    verifier = example_verifier("2023-10-26T10:22:40Z")

    call = verifier.verify(v3_example(V3_EXAMPLE_SIGNATURE))

    assert call.action == "RunInstances"
    assert call.params["RegionId"] == "cn-shanghai"


def test_it_refuses_the_v3_example_with_one_signature_digit_changed():
    verifier = example_verifier("2023-10-26T10:22:40Z")
    tampered = V3_EXAMPLE_SIGNATURE[:-1] + "1"

    with pytest.raises(RpcError) as refused:
        verifier.verify(v3_example(tampered))

    assert refused.value.code == "SignatureDoesNotMatch"


def test_it_refuses_the_v3_example_sixteen_minutes_later():
    verifier = example_verifier("2023-10-26T10:38:33Z")

    with pytest.raises(RpcError) as refused:
        verifier.verify(v3_example(V3_EXAMPLE_SIGNATURE))

    assert refused.value.code == "InvalidTimeStamp.Expired"


def test_it_accepts_alibabas_published_v1_example():
    verifier = RpcVerifier(
        access_key_id="testid",
        access_key_secret="testsecret",
        clock=lambda: at("2023-03-13T08:34:30Z"),
    )
    query = (
        "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON"
        "&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1"
        "&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0"
        "&Timestamp=2023-03-13T08%3A34%3A30Z&Version=2014-05-26"
        "&Signature=9NaGiOspFP5UPcwX8Iwt2YJXXuk%3D"
    )

    call = verifier.verify(IncomingRequest("GET", "/", query, {}, b""))

    assert call.action == "DescribeDedicatedHosts"
    assert call.signature_method == "HMAC-SHA1"


def test_it_reproduces_osss_published_signature():
    headers = {
        "Content-MD5": "ODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=",
        "Content-Type": "text/html",
        "Date": "Thu, 17 Nov 2005 18:49:58 GMT",
        "X-OSS-Meta-Author": "foo@bar.com",
        "X-OSS-Magic": "abracadabra",
    }
    lowered = {name.lower(): value for name, value in headers.items()}

    built = string_to_sign(
        method="PUT", headers=lowered, bucket="oss-example", key="nelson"
    )

    assert built == (
        "PUT\nODBGOERFMDMzQTczRUY3NUE3NzA5QzdFNUYzMDQxNEM=\ntext/html\n"
        "Thu, 17 Nov 2005 18:49:58 GMT\nx-oss-magic:abracadabra\n"
        "x-oss-meta-author:foo@bar.com\n/oss-example/nelson"
    )
    assert signature("OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", built) == (
        "26NBxoKdsyly4EDv6inkoDft/yA="
    )


def test_its_crc64_matches_the_published_check_value():
    assert crc64_update(0, b"123456789") == 11051210869376104954


def test_its_crc64_can_continue_over_chunks():
    whole = crc64_update(0, b"123456789")

    assert crc64_update(crc64_update(0, b"1234"), b"56789") == whole
