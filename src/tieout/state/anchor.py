"""The audit chain's anchor outside the database: every committed head (how many entries,
the last one's hash) signed with a key that does not live in the database, appended to a
checkpoint file.

A hash chain alone proves only that the entries still in the table agree with each other:
whoever can write the table can delete the newest entries, or rewrite one and recompute
every hash after it. A signed head kept elsewhere says how long the chain was and what its
end was at each moment, so `tieout audit verify` sees both. The key is HMAC-SHA256, kept
in `.tieout/audit.key` (mode 0600) unless $TIEOUT_AUDIT_KEY_FILE names a file kept further
away (a secrets mount, another owner); the file is only ever appended to, so operations may
make it append-only (`chattr +a`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from tieout.state.files import private_dir

KEY_ENV = "TIEOUT_AUDIT_KEY_FILE"
KEY_FILE = Path(".tieout") / "audit.key"
CHECKPOINT_FILE = Path(".tieout") / "audit.checkpoints"


@dataclass(frozen=True)
class Head:
    """The chain's end: `seq` entries, the last with `hash` (GENESIS for none)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Checkpoint:
    head: Head
    at: str
    signature: str
    line: int = 0  # in the checkpoint file, 1-based (0: not from the file)


class Anchor:
    """Signs heads and keeps the checkpoint file of one state store."""

    def __init__(self, root: Path) -> None:
        named = os.environ.get(KEY_ENV, "").strip()
        self.key_file = Path(named) if named else root / KEY_FILE
        self.checkpoints_file = root / CHECKPOINT_FILE

    def sign(self, head: Head, at: str) -> str:
        body = json.dumps({"seq": head.seq, "hash": head.hash, "at": at}, sort_keys=True)
        return hmac.new(self._key(), body.encode("utf-8"), hashlib.sha256).hexdigest()

    def genuine(self, point: Checkpoint) -> bool:
        return hmac.compare_digest(self.sign(point.head, point.at), point.signature)

    def signed(self, head: Head) -> Checkpoint:
        """The head with the time and the signature over both."""
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
        return Checkpoint(head, at, self.sign(head, at))

    def checkpoint(self, head: Head) -> Checkpoint:
        """Append the signed head as one line; one write() to a file opened for appending
        is not interleaved with another process's line."""
        point = self.signed(head)
        at = point.at
        line = json.dumps(
            {"seq": head.seq, "hash": head.hash, "at": at, "sig": point.signature},
            sort_keys=True,
        )
        private_dir(self.checkpoints_file.parent)
        fd = os.open(self.checkpoints_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return point

    def checkpoints(self) -> list[Checkpoint] | None:
        """Every line of the checkpoint file (None: there is no file); a line that does not
        parse comes back with an empty signature, so it fails `genuine`."""
        try:
            text = self.checkpoints_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        found = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                data = json.loads(line)
                head = Head(int(data["seq"]), str(data["hash"]))
                found.append(Checkpoint(head, str(data["at"]), str(data["sig"]), number))
            except (ValueError, KeyError, TypeError):
                found.append(Checkpoint(Head(-1, ""), "", "", number))
        return found

    def _key(self) -> bytes:
        """The signing key, made on first use. Written to a temporary file and linked into
        place, so processes starting together agree on one key."""
        try:
            return self.key_file.read_bytes()
        except FileNotFoundError:
            pass
        private_dir(self.key_file.parent)
        tmp = self.key_file.with_name(f".{self.key_file.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, secrets.token_hex(32).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, self.key_file)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return self.key_file.read_bytes()
