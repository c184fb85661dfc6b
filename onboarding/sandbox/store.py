"""What the sandbox keeps on disk: uploaded objects and issued STS credentials.

Both survive a restart, so a client holding credentials or expecting an object
is not surprised when the sandbox is restarted under it.
"""

import base64
import contextlib
import hashlib
import json
import os
import secrets
import shutil
import tempfile
import threading
import time
import uuid
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
    # The file holding the bytes; each upload gets a new one.
    data_file: str = ""


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


def _write_atomically(path: Path, content: bytes, scratch: Path) -> None:
    with tempfile.NamedTemporaryFile(dir=scratch, delete=False) as handle:
        handle.write(content)
    try:
        os.replace(handle.name, path)
    except BaseException:
        os.unlink(handle.name)
        raise


class ObjectStore:
    """Objects kept under a folder: a metadata file per key, naming its data.

    An upload writes its bytes to a new data file and then swaps the metadata
    in one rename, so a reader always gets a size, checksum and content that
    belong together, even while the key is being overwritten or after a crash.
    """

    def __init__(self, root: Path):
        self.root = root
        self.scratch = root / "incoming"
        self.root.mkdir(parents=True, exist_ok=True)
        # Whatever an interrupted upload left half-written is garbage now.
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir()
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def _digest(self, bucket: str, key: str) -> str:
        # Keys are arbitrary text; hashing them keeps every name on disk safe.
        return hashlib.sha256(f"{bucket}/{key}".encode()).hexdigest()

    def _lock(self, digest: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(digest, threading.Lock())

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
        digest = self._digest(bucket, key)
        md5 = hashlib.md5()  # noqa: S324  OSS's ETag is an MD5, not a security check.
        crc = 0
        size = 0
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115  (closed below)
            dir=self.scratch, delete=False
        )
        try:
            with handle:
                for chunk in chunks:
                    handle.write(chunk)
                    md5.update(chunk)
                    crc = crc64_update(crc, chunk)
                    size += len(chunk)
            content_md5 = base64.b64encode(md5.digest()).decode()
            if expected_md5 is not None and expected_md5 != content_md5:
                raise DigestMismatch(
                    f"Content-MD5 {expected_md5} does not match the content "
                    f"({content_md5})."
                )
            data_file = f"{digest}-{uuid.uuid4().hex}.data"
            os.replace(handle.name, self.root / data_file)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
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
            content_md5=content_md5,
            data_file=data_file,
        )
        with self._lock(digest):
            previous = self.get(bucket, key)
            _write_atomically(
                self.root / f"{digest}.json",
                json.dumps(asdict(stored)).encode(),
                self.scratch,
            )
        if previous is not None:
            # A reader that opened the old data file keeps reading it.
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.root / previous.data_file)
        return stored

    def get(self, bucket: str, key: str) -> StoredObject | None:
        meta_path = self.root / f"{self._digest(bucket, key)}.json"
        try:
            return StoredObject(**json.loads(meta_path.read_text()))
        except FileNotFoundError:
            return None

    def open(self, bucket: str, key: str) -> tuple[StoredObject, BinaryIO] | None:
        """Return an object's metadata with its content opened, or None."""
        with self._lock(self._digest(bucket, key)):
            stored = self.get(bucket, key)
            if stored is None:
                return None
            return stored, (self.root / stored.data_file).open("rb")

    def read(self, bucket: str, key: str) -> bytes | None:
        """Return an object's content, or None when there is no such object."""
        opened = self.open(bucket, key)
        if opened is None:
            return None
        with opened[1] as handle:
            return handle.read()

    def all(self) -> list[StoredObject]:
        return [
            StoredObject(**json.loads(path.read_text()))
            for path in sorted(self.root.glob("*.json"))
        ]


class CredentialStore:
    """Temporary OSS credentials handed out by GetChatappUploadAuthorization.

    Kept as JSON lines, one appended per credential; start-up drops the ones
    that expired more than a day ago and rewrites the file.
    """

    def __init__(self, path: Path):
        self.path = path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._credentials: dict[str, StsCredential] = {}
        # Keep recently expired credentials, so an expired token is reported
        # as expired rather than unknown.
        horizon = time.time() - 86400
        if path.exists():
            for line in path.read_text().splitlines():
                with contextlib.suppress(ValueError, TypeError):
                    credential = StsCredential(**json.loads(line))
                    if credential.expires_at > horizon:
                        self._credentials[credential.access_key_id] = credential
        lines = "".join(
            json.dumps(asdict(value)) + "\n" for value in self._credentials.values()
        )
        _write_atomically(self.path, lines.encode(), self.path.parent)

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
            with self.path.open("a") as handle:
                handle.write(json.dumps(asdict(credential)) + "\n")
            self._credentials[credential.access_key_id] = credential
        return credential

    def get(self, access_key_id: str) -> StsCredential | None:
        with self._lock:
            return self._credentials.get(access_key_id)
