"""Uploads held to their limit while they arrive, not after.

A 200 MB upload was read whole into memory and only then found too big. `UploadLimit` (pure
ASGI, outermost but one) refuses a multipart body whose Content-Length is over the limit
before reading any of it, and stops reading one that turns out longer (no length, or a
wrong one) the moment it passes the limit; the route then reads the file in chunks
(`read_limited`) and never holds more than the limit.
"""

from __future__ import annotations

from fastapi import HTTPException, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tieout.state.exceptions import MAX_ATTACHMENT

FORM_OVERHEAD = 64 * 2**10  # the other fields and the multipart boundaries
CHUNK = 2**20


def too_big() -> HTTPException:
    return HTTPException(413, f"an attachment may be at most {MAX_ATTACHMENT // 2**20} MiB")


class UploadLimit:
    """Multipart bodies over MAX_ATTACHMENT (plus the form's own few bytes) answer 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_ATTACHMENT + FORM_OVERHEAD) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _multipart(scope):
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length.isdigit() and int(length) > self.limit:
            await _refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise too_big()  # FastAPI answers 413 from inside its form parsing
            return message

        await self.app(scope, counted, send)


async def read_limited(file: UploadFile, limit: int = MAX_ATTACHMENT) -> bytes:
    """The file's bytes, read a chunk at a time; 413 as soon as it passes `limit`."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise too_big()
        chunks.append(chunk)
    return b"".join(chunks)


def _multipart(scope: Scope) -> bool:
    return _header(scope, b"content-type").startswith("multipart/")


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip().lower()
    return ""


async def _refuse(send: Send) -> None:
    body = b'{"detail":"' + too_big().detail.encode("utf-8") + b'"}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
