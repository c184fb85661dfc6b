"""The two ChatApp actions the portal uses, as the sandbox answers them."""

import time
from collections.abc import Callable

from onboarding.sandbox.config import SandboxConfig
from onboarding.sandbox.errors import RpcError
from onboarding.sandbox.scenarios import AUTHORIZE, SUBMIT, Scenario
from onboarding.sandbox.store import CredentialStore, ObjectStore

SUBMIT_PARAMETERS = (
    "CustSpaceId",
    "CustName",
    "OfficeAddress",
    "ContactMail",
    "CountryId",
    "BusinessDesc",
    "IsvTerms",
)


def upload_dir(cust_space_id: str) -> str:
    """The OSS folder where a customer's agreement must be uploaded."""
    return f"isv-terms/{cust_space_id}"


def _require(params: dict[str, str], *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise RpcError(
                400, f"Missing{name}", f"{name} is mandatory for this action."
            )


def _invalid(name: str, message: str) -> RpcError:
    return RpcError(400, f"InvalidParameter.{name}", message)


class ChatAppActions:
    def __init__(
        self,
        *,
        config: SandboxConfig,
        credentials: CredentialStore,
        objects: ObjectStore,
        endpoint: Callable[[], str],
    ):
        self.config = config
        self.credentials = credentials
        self.objects = objects
        self.endpoint = endpoint

    def handler(self, action: str) -> Callable[[dict, Scenario | None], dict] | None:
        return {AUTHORIZE: self.authorize, SUBMIT: self.submit}.get(action)

    def authorize(self, params: dict[str, str], scenario: Scenario | None) -> dict:
        _require(params, "CustSpaceId")
        space_id = params["CustSpaceId"]
        lifetime = self.config.sts_lifetime

        # The "expiredtoken" scenario hands out credentials that OSS already
        # considers expired while the answer still promises the usual lifetime.
        expired = scenario is not None and scenario.kind == "expiredtoken"
        credential = self.credentials.issue(
            bucket=self.config.bucket,
            dir=upload_dir(space_id),
            lifetime=0 if expired else lifetime,
            cust_space_id=space_id,
        )
        expire = lifetime
        if self.config.expire_style == "epoch":
            expire = int(time.time() + lifetime)
        return {
            "Data": {
                "AccessKeyId": credential.access_key_id,
                "AccessKeySecret": credential.access_key_secret,
                "SecurityToken": credential.security_token,
                "BucketName": credential.bucket,
                "Dir": credential.dir,
                "EndPoint": self.endpoint(),
                "Expire": expire,
            }
        }

    def submit(self, params: dict[str, str], scenario: Scenario | None) -> dict:
        _require(params, *SUBMIT_PARAMETERS)
        country = params["CountryId"]
        if len(country) != 2 or not country.isalpha() or not country.isupper():
            raise _invalid("CountryId", "CountryId must be a two-letter code like CN.")
        if "@" not in params["ContactMail"]:
            raise _invalid("ContactMail", "ContactMail must be an email address.")

        terms = params["IsvTerms"]
        if "/" in terms or "\\" in terms:
            raise _invalid(
                "IsvTerms",
                "IsvTerms must be the file name only, as uploaded under Dir.",
            )
        key = f"{upload_dir(params['CustSpaceId'])}/{terms}"
        opened = self.objects.open(self.config.bucket, key)
        if opened is None:
            raise _invalid(
                "IsvTerms", f"No agreement was uploaded at {self.config.bucket}/{key}."
            )
        with opened[1] as handle:
            if handle.read(5) != b"%PDF-":
                raise _invalid("IsvTerms", f"The file at {key} is not a PDF.")
        return {}
