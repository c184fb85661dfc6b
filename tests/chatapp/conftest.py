import io

import pytest

from onboarding.chatapp import ChatAppClient, ChatAppConfig, CustomerTerms
from onboarding.sandbox import DEMO_ACCESS_KEY_ID, DEMO_ACCESS_KEY_SECRET
from tests import documents


@pytest.fixture
def make_client(sandbox):
    def build(**overrides) -> ChatAppClient:
        options = {
            "access_key_id": DEMO_ACCESS_KEY_ID,
            "access_key_secret": DEMO_ACCESS_KEY_SECRET,
            "endpoint": sandbox.url,
            "read_timeout": 1.0,
            "user_agent": "isv-terms/test",
        }
        options.update(overrides)
        return ChatAppClient(ChatAppConfig(**options))

    return build


@pytest.fixture
def client(make_client):
    return make_client()


def terms(space_id: str = "293483938849493", **fields) -> CustomerTerms:
    values = {
        "cust_space_id": space_id,
        "cust_name": "Nusantara Kopi PT",
        "office_address": "Jl. Sudirman 1, Jakarta",
        "contact_mail": "legal@nusantara-kopi.example",
        "country_id": "ID",
        "business_desc": "Order updates and support",
        "isv_terms": "agreement-3f2a9c1b.pdf",
    }
    values.update(fields)
    return CustomerTerms(**values)


def upload(client, space_id: str, name: str = "agreement-3f2a9c1b.pdf"):
    authorization = client.get_upload_authorization(space_id).authorization
    return client.upload_agreement(
        authorization, file=io.BytesIO(documents.minimal_pdf()), file_name=name
    )
