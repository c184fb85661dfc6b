"""Clients nobody here wrote, pointed at the sandbox: the proof that it speaks
Alibaba's protocols rather than the portal's idea of them."""

import hashlib
from types import SimpleNamespace
from urllib.parse import quote, urlencode

import oss2
import requests
from alibabacloud_cams20200606 import models as cams_models
from alibabacloud_cams20200606.client import Client as CamsClient
from alibabacloud_tea_openapi import models as openapi_models
from alibabacloud_tea_openapi.utils import Utils as OpenApiUtils
from alibabacloud_tea_util import models as util_models
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import CommonRequest
from aliyunsdkcore.utils import parameter_helper

from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET

SUBMIT_PARAMS = {
    "CustSpaceId": "293483938849493",
    "CustName": "Nusantara Kopi PT",
    "OfficeAddress": "Jl. Sudirman 1, Jakarta",
    "ContactMail": "legal@nusantara-kopi.example",
    "CountryId": "ID",
    "BusinessDesc": "Order updates and support",
    "IsvTerms": "agreement.pdf",
}


def cams_client(
    sandbox,
    secret: str = DEMO_ACCESS_KEY_SECRET,
    access_key_id: str = DEMO_ACCESS_KEY_ID,
) -> CamsClient:
    """The official ChatApp SDK, which signs with V3."""
    config = openapi_models.Config(
        access_key_id=access_key_id,
        access_key_secret=secret,
        endpoint=sandbox.url.removeprefix("http://"),
        protocol="http",
        read_timeout=10000,
        connect_timeout=5000,
    )
    return CamsClient(config)


def cams_authorize(client: CamsClient, space_id: str):
    return client.get_chatapp_upload_authorization_with_options(
        cams_models.GetChatappUploadAuthorizationRequest(cust_space_id=space_id),
        util_models.RuntimeOptions(autoretry=False, max_attempts=0),
    )


def cams_submit(client: CamsClient, **params):
    values = {**SUBMIT_PARAMS, **params}
    request = cams_models.SubmitIsvCustomerTermsRequest(
        cust_space_id=values["CustSpaceId"],
        cust_name=values["CustName"],
        office_address=values["OfficeAddress"],
        contact_mail=values["ContactMail"],
        country_id=values["CountryId"],
        business_desc=values["BusinessDesc"],
        isv_terms=values["IsvTerms"],
    )
    return client.submit_isv_customer_terms_with_options(
        request, util_models.RuntimeOptions(autoretry=False, max_attempts=0)
    )


def acs_call(sandbox, action: str, params: dict, secret=DEMO_ACCESS_KEY_SECRET):
    """aliyunsdkcore, installed with oss2, which signs with HMAC-SHA1."""
    client = AcsClient(DEMO_ACCESS_KEY_ID, secret, "ap-southeast-1", auto_retry=False)
    request = CommonRequest(
        domain=sandbox.url.removeprefix("http://"),
        version="2020-06-06",
        action_name=action,
    )
    request.set_protocol_type("http")
    request.set_method("POST")
    for key, value in params.items():
        request.add_query_param(key, value)
    return client.do_action_with_exception(request)


def oss_bucket(authorization: dict, secret: str | None = None) -> oss2.Bucket:
    auth = oss2.StsAuth(
        authorization["AccessKeyId"],
        secret or authorization["AccessKeySecret"],
        authorization["SecurityToken"],
    )
    return oss2.Bucket(auth, authorization["EndPoint"], authorization["BucketName"])


def signed_v3_post(
    sandbox,
    action: str,
    params: dict,
    *,
    date: str,
    nonce: str,
    secret: str = DEMO_ACCESS_KEY_SECRET,
    version: str = "2020-06-06",
    form: dict | None = None,
    claimed_body_sha256: str | None = None,
    unsigned: str | None = None,
) -> requests.Response:
    """A V3 request signed by tea-openapi's signer, with a chosen date and nonce.

    `form` goes in a form-encoded body, signed through its hash and type.
    """
    host = sandbox.url.removeprefix("http://")
    body = urlencode(form or {}, quote_via=quote).encode()
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": claimed_body_sha256 or hashlib.sha256(body).hexdigest(),
    }
    if form:
        headers["content-type"] = "application/x-www-form-urlencoded"
    signed = {name: value for name, value in headers.items() if name != unsigned}
    request = SimpleNamespace(pathname="/", method="POST", query=params, headers=signed)
    headers["Authorization"] = OpenApiUtils.get_authorization(
        request,
        "ACS3-HMAC-SHA256",
        headers["x-acs-content-sha256"],
        DEMO_ACCESS_KEY_ID,
        secret,
    )
    query = "&".join(
        f"{quote(key, safe='~')}={quote(value, safe='~')}"
        for key, value in params.items()
    )
    return requests.post(
        f"{sandbox.url}/?{query}", headers=headers, data=body, timeout=10
    )


def v1_post(
    sandbox,
    monkeypatch,
    params: dict,
    *,
    timestamp: str,
    nonce: str,
    form: dict | None = None,
    access_key_id: str = DEMO_ACCESS_KEY_ID,
) -> requests.Response:
    """An HMAC-SHA1 request signed by aliyunsdkcore, with a chosen time and nonce."""
    monkeypatch.setattr(parameter_helper, "get_iso_8061_date", lambda: timestamp)
    monkeypatch.setattr(parameter_helper, "get_uuid", lambda: nonce)
    path, _ = rpc_signature_composer.get_signed_url(
        dict(params), access_key_id, DEMO_ACCESS_KEY_SECRET, "JSON", "POST", form or {}
    )
    return requests.post(
        f"{sandbox.url}{path}",
        data=urlencode(form or {}, quote_via=quote),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
