"""Zipped deliveries: a `.zip` stands for the exports inside it.

Zendesk delivers its ticket export as `export-<date>-<id>.csv.zip`, and Salesforce's weekly
Data Export is one zip holding a CSV per object. A source path may therefore name a zip
(every readable member) or one member of it (`delivery.zip!Account.csv`). Each member is
its own file for lineage and is shown the same way, `delivery.zip!Account.csv`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import shutil
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from tieout.errors import SourceFileError

SEP = "!"
MEMBER_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")
_MEMBER = re.compile(r"^(.*?\.zip)!(.+)$", re.IGNORECASE)
_READ_BYTES = 1 << 20


def is_archive(path: Path) -> bool:
    return path.suffix.lower() == ".zip"


def split(path: Path | str) -> tuple[Path, str | None]:
    """(archive, member) for `a.zip!m.csv`; (path, None) for a plain file."""
    match = _MEMBER.match(str(path))
    if match and not Path(path).exists():
        return Path(match[1]), match[2]
    return Path(path), None


def member_path(archive: Path, member: str) -> Path:
    return Path(f"{archive}{SEP}{member}")


def members(archive: Path) -> list[str]:
    """Members tieout can read, in name order; a zip with none is an error naming it."""
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise SourceFileError(f"{archive}: not a readable zip archive ({exc})") from None
    names = sorted(
        i.filename
        for i in infos
        if not i.is_dir()
        and PurePosixPath(i.filename).suffix.lower() in MEMBER_SUFFIXES
        and not _hidden(i.filename)
    )
    if not names:
        held = ", ".join(i.filename for i in infos[:8]) or "nothing"
        raise SourceFileError(
            f"{archive}: the zip holds no CSV, XLSX or Parquet export (it holds {held})"
        )
    return names


def expand(path: Path, member_glob: str | None = None) -> list[Path]:
    """A plain file as itself; a zip as `zip!member` paths (only members matching the glob)."""
    if not is_archive(path):
        return [path]
    names = members(path)
    if member_glob is not None:
        names = [n for n in names if fnmatch.fnmatchcase(n, member_glob)]
    return [member_path(path, n) for n in names]


def split_pattern(pattern: str) -> tuple[str, str | None]:
    """`exports/*.zip!Account*.csv` -> (`exports/*.zip`, `Account*.csv`)."""
    match = _MEMBER.match(pattern)
    return (match[1], match[2]) if match else (pattern, None)


def read_head(archive: Path, member: str, size: int) -> bytes:
    with _member(archive, member) as fh:
        return fh.read(size)


def read_all(archive: Path, member: str) -> bytes:
    with _member(archive, member) as fh:
        return fh.read()


def extract(archive: Path, member: str, dest: Path) -> None:
    with _member(archive, member) as fin, dest.open("wb") as fout:
        shutil.copyfileobj(fin, fout, _READ_BYTES)


def sha256(archive: Path, member: str) -> str:
    digest = hashlib.sha256()
    with _member(archive, member) as fh:
        for chunk in iter(lambda: fh.read(_READ_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def _member(archive: Path, member: str) -> Iterator[IO[bytes]]:
    """One member opened for reading; a missing, corrupt or encrypted member (found only
    while reading it) becomes a SourceFileError naming the zip and the member."""
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member) as fh:
            yield fh
    except KeyError:
        raise SourceFileError(f"{archive}: no member {member!r}") from None
    except (zipfile.BadZipFile, RuntimeError, EOFError, OSError) as exc:
        raise SourceFileError(f"{archive}{SEP}{member}: cannot be read ({exc})") from None


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)
