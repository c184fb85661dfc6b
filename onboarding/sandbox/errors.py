"""Errors the sandbox answers with, shaped like Alibaba Cloud's."""

from dataclasses import dataclass


@dataclass
class RpcError(Exception):
    """An RPC failure: HTTP status, Alibaba's error code and its message."""

    status: int
    code: str
    message: str
    access_denied_detail: str = ""


@dataclass
class OssError(Exception):
    """An OSS failure, answered with OSS's XML error body."""

    status: int
    code: str
    message: str
