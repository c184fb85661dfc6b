"""Random parameter sets signed by this client and by Alibaba's own signer."""

import random
import string
from types import SimpleNamespace

import pytest
from alibabacloud_tea_openapi.utils import Utils as OfficialSigner

from onboarding.chatapp import signing

# Characters that stress the encoding: reserved, unreserved edge cases, and
# non-ASCII from several scripts, including one outside the BMP.
ALPHABET = (
    string.ascii_letters
    + string.digits
    + " -_.~*+/=&%?#:;,'\"!$()@[]"
    + ("杭州营销商品éüßñØ日本語한국어ไทยÀ😀\u00a0")
)


def random_params(rng: random.Random) -> dict[str, str]:
    keys = rng.sample(
        ["CustSpaceId", "CustName", "OfficeAddress", "ContactMail", "CountryId",
         "BusinessDesc", "IsvTerms", "RegionId", "A", "b", "Z9"],
        rng.randint(0, 8),
    )  # fmt: skip
    return {
        key: "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        for key in keys
    }


@pytest.mark.parametrize("seed", range(200))
def test_it_signs_exactly_as_the_official_signer(seed):
    rng = random.Random(seed)
    params = random_params(rng)
    headers = {
        "host": "cams.ap-southeast-1.aliyuncs.com",
        "x-acs-action": rng.choice(
            ["SubmitIsvCustomerTerms", "GetChatappUploadAuthorization"]
        ),
        "x-acs-version": "2020-06-06",
        "x-acs-date": "2026-12-03T10:00:00Z",
        "x-acs-signature-nonce": f"{rng.getrandbits(128):032x}",
        "x-acs-content-sha256": signing.EMPTY_BODY_SHA256,
    }
    secret = "".join(rng.choice(string.ascii_letters) for _ in range(30))

    ours = signing.authorization(
        access_key_id="LTAI5tCrossCheck",
        access_key_secret=secret,
        method="POST",
        path="/",
        query=signing.canonical_query(params),
        headers=headers,
        payload_sha256=signing.EMPTY_BODY_SHA256,
    )
    theirs = OfficialSigner.get_authorization(
        SimpleNamespace(pathname="/", method="POST", query=params, headers=headers),
        "ACS3-HMAC-SHA256",
        signing.EMPTY_BODY_SHA256,
        "LTAI5tCrossCheck",
        secret,
    )

    assert ours == theirs
