"""Text encodings, decided line by line.

A file appended to by different tools can be UTF-8 for some lines and cp1252 for others
(an Excel re-save added to a system export). Reading it whole in one encoding garbles one
half without a word, so every line is read with the first of UTF-8, cp1252 and latin-1 that
decodes it, and the number of lines each needed is kept so the run can say so. Newline is
the same byte in all three and never part of a multi-byte UTF-8 character, so splitting
the bytes on it before decoding is exact.
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

ASCII = "ascii"
LINE_ENCODINGS = ("utf-8", "cp1252", "latin-1")  # latin-1 decodes any byte: the last resort
_READ_BYTES = 1 << 20


@dataclass(frozen=True)
class EncodingScan:
    """Lines holding non-ASCII bytes, per encoding that read them (ASCII reads alike in all)."""

    lines: dict[str, int] = field(default_factory=dict)
    has_nul: bool = False

    @property
    def name(self) -> str:
        """`utf-8`, `cp1252`, ... or `utf-8+cp1252` when lines needed different ones."""
        ranked = sorted(self.lines, key=lambda e: (-self.lines[e], LINE_ENCODINGS.index(e)))
        return "+".join(ranked) or "utf-8"

    @property
    def mixed(self) -> bool:
        return len(self.lines) > 1

    @property
    def needs_transcode(self) -> bool:
        """DuckDB reads UTF-8 only, and no CSV reader keeps a NUL byte."""
        return self.has_nul or any(e != "utf-8" for e in self.lines)


def decode_line(raw: bytes) -> tuple[str, str]:
    """(encoding, text) for one line: `ascii`, else the first of LINE_ENCODINGS that fits."""
    if raw.isascii():
        return ASCII, raw.decode("ascii")
    for encoding in LINE_ENCODINGS[:-1]:
        try:
            return encoding, raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return LINE_ENCODINGS[-1], raw.decode(LINE_ENCODINGS[-1])


def scan(path: Path) -> EncodingScan:
    """One pass over the bytes; blocks that are ASCII or valid UTF-8 skip per-line decoding."""
    counts: Counter[str] = Counter()
    has_nul = False
    with path.open("rb") as fh:
        for block in _line_blocks(fh):
            has_nul = has_nul or b"\x00" in block
            if block.isascii():
                continue
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                for raw in block.split(b"\n"):
                    encoding, _ = decode_line(raw)
                    if encoding != ASCII:
                        counts[encoding] += 1
                continue
            counts["utf-8"] += sum(1 for raw in block.split(b"\n") if not raw.isascii())
    return EncodingScan(dict(counts), has_nul)


def transcode_lines(src: Path, dest: Path) -> EncodingScan:
    """Write `src` as UTF-8, each line decoded on its own; NUL becomes U+FFFD so the row
    stays visible rather than silently cut."""
    counts: Counter[str] = Counter()
    has_nul = False
    with src.open("rb") as fin, dest.open("w", encoding="utf-8", newline="") as fout:
        for block in _line_blocks(fin):
            has_nul = has_nul or b"\x00" in block
            lines = [decode_line(raw) for raw in block.split(b"\n")]
            counts.update(encoding for encoding, _ in lines if encoding != ASCII)
            fout.write("\n".join(text for _, text in lines).replace("\x00", "\ufffd"))
    return EncodingScan(dict(counts), has_nul)


def transcode(src: Path, dest: Path, encoding: str) -> None:
    """Re-encode a whole file from an encoding the user named (UTF-16 has no byte-wise lines)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with src.open("rb") as fin, dest.open("w", encoding="utf-8", newline="") as fout:
        if fin.read(3) != codecs.BOM_UTF8:  # a BOM is not part of any encoding's text
            fin.seek(0)
        for chunk in iter(lambda: fin.read(_READ_BYTES), b""):
            fout.write(decoder.decode(chunk).replace("\x00", "\ufffd"))
        fout.write(decoder.decode(b"", final=True).replace("\x00", "\ufffd"))


def _line_blocks(fh: BinaryIO) -> Iterator[bytes]:
    """Chunks of whole lines (a line is never split across two), the UTF-8 BOM removed."""
    carry = b""
    first = True
    for chunk in iter(lambda: fh.read(_READ_BYTES), b""):
        if first:
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
            first = False
        buf = carry + chunk
        cut = buf.rfind(b"\n") + 1
        if cut:
            yield buf[:cut]
        carry = buf[cut:]
    if carry:
        yield carry
