"""What the sandbox keeps on disk: uploaded objects and issued STS credentials.

Both survive a restart, so a client holding credentials or expecting an object
is not surprised when the sandbox is restarted under it.
"""

import base64
import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

from onboarding.sandbox.crc64 import crc64_update


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    size: int
    etag: str
    crc64: int
    content_type: str
    last_modified: float
    content_md5: str


@dataclass(frozen=True)
class StsCredential:
    access_key_id: str
    access_key_secret: str
    security_token: str
    bucket: str
    dir: str
    expires_at: float
    cust_space_id: str

    def __repr__(self) -> str:
        return (
            f"StsCredential(access_key_id={self.access_key_id!r}, dir={self.dir!r}, "
            f"expires_at={self.expires_at!r})"
        )


class DigestMismatch(Exception):
    """The content does not match the Content-MD5 the client sent."""


def _write_atomically(path: Path, content: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(content)
    os.replace(handle.name, path)


class ObjectStore:
    """Objects kept under a folder, one data file and one metadata file each."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _paths(self, bucket: str, key: str) -> tuple[Path, Path]:
        # Keys are arbitrary text; hashing them keeps every name on disk safe.
        digest = hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()
        return self.root / f"{digest}.data", self.root / f"{digest}.json"

    def put(
        self,
        *,
        bucket: str,
        key: str,
        content_type: str,
        chunks: Iterator[bytes],
        expected_md5: str | None = None,
    ) -> StoredObject:
        """Store an object from its chunks; nothing changes if reading fails."""
        data_path, meta_path = self._paths(bucket, key)
        md5 = hashlib.md5()  # noqa: S324  OSS's ETag is an MD5, not a security check.
        crc = 0
        size = 0
        # Written aside and renamed into place, so a reader never sees half an
        # object and a failed upload leaves the previous one untouched.
        handle = tempfile.NamedTemporaryFile(dir=self.root, delete=False)  # noqa: SIM115
        try:
            with handle:
                for chunk in chunks:
                    handle.write(chunk)
                    md5.update(chunk)
                    crc = crc64_update(crc, chunk)
                    size += len(chunk)
            digest = base64.b64encode(md5.digest()).decode()
            if expected_md5 is not None and expected_md5 != digest:
                raise DigestMismatch(
                    f"Content-MD5 {expected_md5} does not match the content ({digest})."
                )
        except BaseException:
            os.unlink(handle.name)
            raise

        stored = StoredObject(
            bucket=bucket,
            key=key,
            size=size,
            etag=md5.hexdigest().upper(),
            crc64=crc,
            content_type=content_type,
            last_modified=time.time(),
            content_md5=digest,
        )
        os.replace(handle.name, data_path)
        _write_atomically(meta_path, json.dumps(asdict(stored)).encode())
        return stored

    def get(self, bucket: str, key: str) -> StoredObject | None:
        _, meta_path = self._paths(bucket, key)
        try:
            return StoredObject(**json.loads(meta_path.read_text()))
        except FileNotFoundError:
            return None

    def open(self, bucket: str, key: str) -> BinaryIO:
        data_path, _ = self._paths(bucket, key)
        return data_path.open("rb")

    def read(self, bucket: str, key: str) -> bytes | None:
        """Return an object's content, or None when there is no such object."""
        try:
            with self.open(bucket, key) as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def all(self) -> list[StoredObject]:
        return [
            StoredObject(**json.loads(path.read_text()))
            for path in sorted(self.root.glob("*.json"))
        ]


class CredentialStore:
    """Temporary OSS credentials handed out by GetChatappUploadAuthorization."""

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._credentials: dict[str, StsCredential] = {}
        if path.exists():
            for item in json.loads(path.read_text()):
                credential = StsCredential(**item)
                self._credentials[credential.access_key_id] = credential

    def issue(
        self, *, bucket: str, dir: str, lifetime: float, cust_space_id: str
    ) -> StsCredential:
        credential = StsCredential(
            access_key_id=f"STS.{secrets.token_hex(12)}",
            access_key_secret=secrets.token_urlsafe(30),
            security_token=secrets.token_urlsafe(96),
            bucket=bucket,
            dir=dir,
            expires_at=time.time() + lifetime,
            cust_space_id=cust_space_id,
        )
        with self._lock:
            # Forget credentials that expired a day ago; keep recent ones so an
            # expired token is reported as expired rather than unknown.
            horizon = time.time() - 86400
            self._credentials = {
                key: value
                for key, value in self._credentials.items()
                if value.expires_at > horizon
            }
            self._credentials[credential.access_key_id] = credential
            payload = [asdict(value) for value in self._credentials.values()]
            _write_atomically(self.path, json.dumps(payload).encode())
        return credential

    def get(self, access_key_id: str) -> StsCredential | None:
        with self._lock:
            return self._credentials.get(access_key_id)
