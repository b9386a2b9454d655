"""Files only the owner may read: the state store, its keys and attachments live under the
project's `.tieout/` folder, which is kept at 0700 with its files at 0600, whatever the
umask. Only folders this code makes, and `.tieout/` itself, are tightened: a state store
configured elsewhere (`sqlite:////var/lib/...`) leaves that folder's mode alone."""

from __future__ import annotations

import os
from pathlib import Path

WORK_DIR = ".tieout"


def private_dir(path: Path) -> Path:
    """`mkdir -p` whose new folders are 0700; a `.tieout` folder among them or at the end,
    new or not, is tightened to 0700 as well (when this user owns it)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        _tighten(folder, 0o700)
    for folder in (path, *path.parents):
        if folder.name == WORK_DIR:
            _tighten(folder, 0o700)
            break
    return path


def private_file(path: Path, content: bytes | None = None) -> Path:
    """Create the file 0600 from the start (no window in which others may open it), writing
    `content` if given; an existing file of this user's is tightened to 0600."""
    private_dir(path.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if content is not None else 0)
    fd = os.open(path, flags, 0o600)
    try:
        if content is not None:
            os.write(fd, content)
    finally:
        os.close(fd)
    _tighten(path, 0o600)
    return path


def tighten_sqlite(path: Path) -> None:
    """A SQLite database and its WAL and shared-memory files at 0600 (SQLite gives the
    -wal and -shm files the database file's mode, so a 0600 database keeps them 0600)."""
    if not path.exists():
        private_file(path)  # an empty file is a new database to SQLite
    for found in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if found.exists():
            _tighten(found, 0o600)


def _tighten(path: Path, mode: int) -> None:
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and st.st_mode & 0o777 != mode:
            path.chmod(mode)
    except OSError:
        pass  # not ours, or gone: leave it
