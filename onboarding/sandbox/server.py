"""The sandbox's HTTP server: ChatApp's RPC endpoint and OSS's object API.

RPC calls arrive at "/" (query string or form body); OSS requests use path
style, "/<bucket>/<key>", as oss2 sends them to an IP endpoint. Everything it
receives is recorded and can be read back from Python or at /_sandbox/calls.
"""

import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import escape

from onboarding.sandbox.actions import ChatAppActions
from onboarding.sandbox.config import CHATAPP_VERSION, SandboxConfig
from onboarding.sandbox.errors import OssError, RpcError
from onboarding.sandbox.oss_auth import OssVerifier
from onboarding.sandbox.rpc_auth import IncomingRequest, RpcVerifier
from onboarding.sandbox.scenarios import ScenarioBook
from onboarding.sandbox.store import (
    CredentialStore,
    DigestMismatch,
    ObjectStore,
    StoredObject,
)

logger = logging.getLogger(__name__)

MAX_RPC_BODY = 1024 * 1024
MAX_OBJECT_SIZE = 100 * 1024 * 1024
CHUNK_SIZE = 64 * 1024


@dataclass
class RecordedCall:
    """One RPC call as the sandbox saw it; no secret is kept."""

    action: str
    params: dict[str, str]
    signature_method: str
    status: int
    code: str
    request_id: str
    scenario: str = ""
    received_at: float = field(default_factory=time.time)
    # The client's address and port: equal ports mean a reused connection.
    peer: str = ""
    user_agent: str = ""
    nonce: str = ""


class RateLimiter:
    """At most `limit` admissions per key in any window of one second."""

    def __init__(self, limit: int):
        self.limit = limit
        self._admitted: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, key: tuple[str, str]) -> bool:
        now = time.monotonic()
        with self._lock:
            times = self._admitted.setdefault(key, deque())
            while times and now - times[0] >= 1.0:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True


class _HTTPServer(ThreadingHTTPServer):
    """A threaded server that can also close the connections it still holds."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address, handler):
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def process_request(self, request, client_address) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # Keep-alive connections would otherwise go on being answered.
        with self.connections_lock:
            for connection in list(self.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)


class Sandbox:
    """A local stand-in for ChatApp and OSS, served over HTTP."""

    def __init__(self, config: SandboxConfig):
        self.config = config
        self.objects = ObjectStore(config.data_dir / "objects")
        self.credentials = CredentialStore(config.data_dir / "credentials.jsonl")
        self.rpc_verifier = RpcVerifier(
            access_key_id=config.access_key_id,
            access_key_secret=config.access_key_secret,
        )
        self.oss_verifier = OssVerifier(self.credentials)
        self.limiter = RateLimiter(config.rate_limit)
        self.scenarios = ScenarioBook()
        self.actions = ChatAppActions(
            config=config,
            credentials=self.credentials,
            objects=self.objects,
            endpoint=lambda: self.url,
        )
        self.stopping = threading.Event()
        # The newest calls only, so a long-running sandbox stays small.
        self._calls: deque[RecordedCall] = deque(maxlen=10_000)
        self._calls_lock = threading.Lock()
        self._thread: threading.Thread | None = None

        self.httpd = _HTTPServer((config.host, config.port), SandboxHandler)
        self.httpd.sandbox = self
        self._serving = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def record(self, call: RecordedCall) -> None:
        with self._calls_lock:
            self._calls.append(call)

    def calls(self, action: str | None = None) -> list[RecordedCall]:
        with self._calls_lock:
            return [call for call in self._calls if action in (None, call.action)]

    def serve_forever(self) -> None:
        self._serving.set()
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> "Sandbox":
        """Serve from a background thread, for tests and embedding."""
        self._thread = threading.Thread(
            target=self.serve_forever, name="chatapp-sandbox", daemon=True
        )
        self._thread.start()
        self._serving.wait(timeout=5)
        return self

    def stop(self) -> None:
        self.stopping.set()
        # shutdown() waits for serve_forever, which never ran if not started.
        if self._serving.is_set():
            self.httpd.shutdown()
        self.httpd.close_connections()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


def _new_request_id() -> str:
    return str(uuid.uuid4()).upper()


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, Nagle's
    # algorithm holds the body back until the client acknowledges the headers.
    disable_nagle_algorithm = True
    # An idle or stalled client must not hold a thread forever.
    timeout = 30
    server_version = "ChatAppSandbox/1.0"
    server: _HTTPServer

    @property
    def sandbox(self) -> Sandbox:
        return self.server.sandbox

    def do_GET(self) -> None:
        self.route()

    def do_POST(self) -> None:
        self.route()

    def do_PUT(self) -> None:
        self.route()

    def do_HEAD(self) -> None:
        self.route()

    def log_message(self, format: str, *args) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def route(self) -> None:
        url = urlsplit(self.path)
        try:
            if url.path.startswith("/_sandbox/"):
                self.inspect(url.path)
            elif url.path in ("", "/"):
                self.handle_rpc(url.query)
            else:
                self.handle_oss(unquote(url.path), url.query)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            logger.exception("The sandbox failed on %s %s", self.command, url.path)
            self.close_connection = True
            if url.path in ("", "/"):
                self.send(
                    500, b'{"Code": "InternalError", "Message": "sandbox failure"}'
                )
            else:
                self.send_oss_error(OssError(500, "InternalError", "sandbox failure"))

    # Reading and writing

    def body_chunks(self, limit: int) -> Iterator[bytes]:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            yield from self._chunked_body(limit)
            return

        raw = (self.headers.get("content-length") or "0").strip()
        if not raw.isdigit():
            raise MalformedBody(f"Content-Length {raw!r} is not a byte count.")
        remaining = int(raw)
        if remaining > limit:
            raise BodyTooLarge(limit)
        while remaining:
            chunk = self.rfile.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                raise ConnectionError("the client stopped sending")
            remaining -= len(chunk)
            yield chunk

    def _chunked_body(self, limit: int) -> Iterator[bytes]:
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise ConnectionError("the client stopped sending")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise MalformedBody(f"Chunk size {line[:40]!r} is not valid.") from None
            if size == 0:
                # Trailer fields, if any, end with a blank line.
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            total += size
            if total > limit:
                raise BodyTooLarge(limit)
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise ConnectionError("the client stopped sending")
            self.rfile.readline(1024)
            yield chunk

    def send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "application/json;charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drop_connection(self) -> None:
        self.close_connection = True
        # The client may already be gone; there is nothing left to tell it.
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # ChatApp RPC

    def handle_rpc(self, query: str) -> None:
        request_id = _new_request_id()
        record = RecordedCall(
            action=self.headers.get("x-acs-action", ""),
            params={},
            signature_method="",
            status=200,
            code="OK",
            request_id=request_id,
            peer=f"{self.client_address[0]}:{self.client_address[1]}",
            user_agent=self.headers.get("user-agent", ""),
        )
        try:
            payload = self.run_rpc(query, record)
        except RpcError as error:
            record.status, record.code = error.status, error.code
            payload = {
                "RequestId": request_id,
                "HostId": urlsplit(self.sandbox.url).netloc,
                "Code": error.code,
                "Message": error.message,
                "Recommend": "",
                "AccessDeniedDetail": error.access_denied_detail,
            }
        except _DropConnection:
            record.status, record.code = 0, "ConnectionDropped"
            self.sandbox.record(record)
            self.drop_connection()
            return

        self.sandbox.record(record)
        body = json.dumps({"RequestId": request_id, **payload}).encode()
        self.send(record.status, body, headers={"x-acs-request-id": request_id})

    def run_rpc(self, query: str, record: RecordedCall) -> dict:
        try:
            body = b"".join(self.body_chunks(MAX_RPC_BODY))
        except (BodyTooLarge, MalformedBody) as error:
            self.close_connection = True
            raise RpcError(400, "InvalidParameter", str(error)) from None

        call = self.sandbox.rpc_verifier.verify(
            IncomingRequest(
                method=self.command,
                path=urlsplit(self.path).path,
                query=query,
                headers=self.headers,
                body=body,
            )
        )
        record.action = call.action
        record.params = call.params
        record.signature_method = call.signature_method
        record.nonce = call.nonce

        if not call.action:
            raise RpcError(400, "MissingAction", "Action is mandatory.")
        if not call.version:
            raise RpcError(400, "MissingVersion", "Version is mandatory.")
        if call.version != CHATAPP_VERSION:
            raise RpcError(
                400, "InvalidVersion", "Specified parameter Version is not valid."
            )
        handler = self.sandbox.actions.handler(call.action)
        if handler is None:
            raise RpcError(
                404,
                "InvalidAction.NotFound",
                f"Specified api {call.action!r} is not found, please check your url "
                "and method.",
            )
        if not self.sandbox.limiter.admit((call.access_key_id, call.action)):
            raise RpcError(
                400, "System.LimitControl", "The system is under flow control."
            )

        scenario = self.sandbox.scenarios.for_call(
            call.action, call.params.get("CustSpaceId", "")
        )
        if scenario is not None:
            record.scenario = scenario.kind
            if scenario.kind == "drop":
                raise _DropConnection
            if scenario.kind == "slow":
                self.sandbox.stopping.wait(self.sandbox.config.slow_seconds)
            if error := scenario.error():
                raise error

        result = handler(call.params, scenario)
        return {"Code": "OK", "Message": "OK", "AccessDeniedDetail": "", **result}

    # OSS

    def handle_oss(self, path: str, query: str) -> None:
        request_id = uuid.uuid4().hex.upper()[:24]
        try:
            if query:
                # Sub-resources (?acl, ?uploads...) change what oss2 signs and
                # what OSS does; the sandbox only stores and reads objects.
                raise OssError(
                    501, "NotImplemented", "The sandbox supports no sub-resources."
                )
            self.run_oss(path, request_id)
        except OssError as error:
            self.send_oss_error(error, request_id)

    def send_oss_error(self, error: OssError, request_id: str = "") -> None:
        request_id = request_id or uuid.uuid4().hex.upper()[:24]
        # An answer sent before the body was read leaves the connection in an
        # unknown state: close it rather than read garbage as a request.
        self.close_connection = True
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message>"
            f"<RequestId>{request_id}</RequestId>"
            f"<HostId>{escape(urlsplit(self.sandbox.url).netloc)}</HostId>"
            "<EC>0000-00000000</EC></Error>"
        ).encode()
        self.send(
            error.status,
            body,
            content_type="application/xml",
            headers={"x-oss-request-id": request_id},
        )

    def run_oss(self, path: str, request_id: str) -> None:
        bucket, _, key = path.lstrip("/").partition("/")
        if not key or len(key.encode()) > 1023 or key.startswith(("/", "\\")):
            raise OssError(400, "InvalidObjectName", "The object name is not valid.")
        if bucket != self.sandbox.config.bucket:
            raise OssError(404, "NoSuchBucket", "The specified bucket does not exist.")
        if self.command not in ("PUT", "GET", "HEAD"):
            raise OssError(405, "MethodNotAllowed", "The method is not allowed.")

        self.sandbox.oss_verifier.verify(
            method=self.command, headers=self.headers, bucket=bucket, key=key
        )
        if self.command == "PUT":
            self.put_object(bucket, key, request_id)
        else:
            self.get_object(bucket, key, request_id)

    def put_object(self, bucket: str, key: str, request_id: str) -> None:
        if (
            "content-length" not in self.headers
            and "transfer-encoding" not in self.headers
        ):
            raise OssError(411, "MissingContentLength", "Content-Length is required.")
        try:
            stored = self.sandbox.objects.put(
                bucket=bucket,
                key=key,
                content_type=self.headers.get("content-type") or "",
                chunks=self.body_chunks(MAX_OBJECT_SIZE),
                expected_md5=self.headers.get("content-md5") or None,
            )
        except BodyTooLarge as error:
            raise OssError(400, "EntityTooLarge", str(error)) from None
        except MalformedBody as error:
            raise OssError(400, "InvalidArgument", str(error)) from None
        except DigestMismatch as error:
            raise OssError(400, "InvalidDigest", str(error)) from None

        self.send(200, headers=self.object_headers(stored, request_id))

    def get_object(self, bucket: str, key: str, request_id: str) -> None:
        opened = self.sandbox.objects.open(bucket, key)
        if opened is None:
            raise OssError(404, "NoSuchKey", "The specified key does not exist.")

        stored, handle = opened
        with handle:
            content = handle.read() if self.command == "GET" else b""
        self.send_response(200)
        for name, value in self.object_headers(stored, request_id).items():
            self.send_header(name, value)
        self.send_header(
            "Content-Type", stored.content_type or "application/octet-stream"
        )
        self.send_header("Content-Length", str(stored.size))
        self.send_header("Last-Modified", formatdate(stored.last_modified, usegmt=True))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(content)

    @staticmethod
    def object_headers(stored: StoredObject, request_id: str) -> dict[str, str]:
        return {
            "ETag": f'"{stored.etag}"',
            "x-oss-hash-crc64ecma": str(stored.crc64),
            "x-oss-request-id": request_id,
            "Content-MD5": stored.content_md5,
        }

    # Inspection

    def inspect(self, path: str) -> None:
        if path == "/_sandbox/calls":
            payload = [asdict(call) for call in self.sandbox.calls()]
        elif path == "/_sandbox/objects":
            payload = [asdict(stored) for stored in self.sandbox.objects.all()]
        else:
            self.send(404, b'{"error": "unknown inspection path"}')
            return
        self.send(200, json.dumps(payload).encode())


class _DropConnection(Exception):
    """Raised to close the connection without answering."""


class MalformedBody(Exception):
    """The request's framing (Content-Length, chunk sizes) cannot be read."""


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"The request body is larger than {limit} bytes.")
