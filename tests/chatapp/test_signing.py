"""The V3 signer reproduces Alibaba's published example and encodes as it must."""

import hashlib

import pytest

from onboarding.chatapp import signing

EXAMPLE_HEADERS = {
    "host": "ecs.cn-shanghai.aliyuncs.com",
    "x-acs-action": "RunInstances",
    "x-acs-content-sha256": signing.EMPTY_BODY_SHA256,
    "x-acs-date": "2023-10-26T10:22:32Z",
    "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
    "x-acs-version": "2014-05-26",
}
EXAMPLE_QUERY = signing.canonical_query(
    {
        "ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        "RegionId": "cn-shanghai",
    }
)


def test_the_empty_body_hash_is_the_published_one():
    assert signing.EMPTY_BODY_SHA256 == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_it_reproduces_the_published_canonical_request():
    request, signed = signing.canonical_request(
        method="POST",
        path="/",
        query=EXAMPLE_QUERY,
        headers=EXAMPLE_HEADERS,
        payload_sha256=signing.EMPTY_BODY_SHA256,
    )

    assert hashlib.sha256(request.encode()).hexdigest() == (
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )
    assert signed == (
        "host;x-acs-action;x-acs-content-sha256;x-acs-date;"
        "x-acs-signature-nonce;x-acs-version"
    )


def test_it_reproduces_the_published_authorization_header():
    header = signing.authorization(
        access_key_id="YourAccessKeyId",
        access_key_secret="YourAccessKeySecret",
        method="POST",
        path="/",
        query=EXAMPLE_QUERY,
        headers=EXAMPLE_HEADERS,
        payload_sha256=signing.EMPTY_BODY_SHA256,
    )

    assert header == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;"
        "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;"
        "x-acs-version,Signature="
        "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )


@pytest.mark.parametrize(
    "text,encoded",
    [
        ("杭州", "%E6%9D%AD%E5%B7%9E"),
        ("a b", "a%20b"),
        ("a*b", "a%2Ab"),
        ("a~b", "a~b"),
        ("a/b", "a%2Fb"),
        ("a+b", "a%2Bb"),
        ("A-Z_a.z0", "A-Z_a.z0"),
        ("=&%", "%3D%26%25"),
        ("", ""),
    ],
)
def test_it_percent_encodes_like_alibaba(text, encoded):
    assert signing.percent_encode(text) == encoded


def test_the_query_is_sorted_and_keeps_empty_values():
    query = signing.canonical_query({"b": "2", "a": "", "C": "x y"})

    assert query == "C=x%20y&a=&b=2"


def test_a_header_value_is_trimmed_and_its_name_lowered():
    request, signed = signing.canonical_request(
        method="POST",
        path="/",
        query="",
        headers={"X-Acs-Action": "  Submit  ", "host": "h"},
        payload_sha256="p",
    )

    assert "x-acs-action:Submit\n" in request
    assert signed == "host;x-acs-action"
