"""The current snapshot, opened once and shared by every request.

A snapshot file never changes once a run has committed it, so the app keeps one read-only
DuckDB connection to it and gives each request its own cursor (cursors are safe across
threads). Each request reads the CURRENT pointer, a few bytes, so a new run's snapshot is
picked up on the next page load without a restart.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from tieout.engine import Warehouse
from tieout.engine.snapshots import SnapshotStore
from tieout.errors import NoSnapshotError

T = TypeVar("T")
MEMO_SIZE = 256


class SnapshotReader:
    def __init__(self, snapshots: SnapshotStore) -> None:
        self.snapshots = snapshots
        self._lock = threading.Lock()
        self._run_id: str | None = None
        self._open: Warehouse | None = None
        self._memo: OrderedDict[str, Any] = OrderedDict()

    def current_id(self) -> str | None:
        return self.snapshots.current_id()

    @contextmanager
    def read(self) -> Iterator[Warehouse]:
        """A cursor on the current snapshot for the length of one request."""
        run_id = self.snapshots.current_id()
        if run_id is None:
            raise NoSnapshotError("no warehouse snapshot yet: run `tieout run` first")
        with self._lock:
            if run_id != self._run_id or self._open is None:
                # the old connection is left to the garbage collector: a request that
                # started before the switch may still be reading through its cursor
                self._open = Warehouse(self.snapshots.path_for(run_id), read_only=True)
                self._run_id = run_id
                self._memo = OrderedDict()
            shared = self._open
        cursor = shared.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def once(self, key: str, wh: Warehouse, compute: Callable[[Warehouse], T]) -> T:
        """`compute(wh)` once per snapshot: a snapshot never changes, so neither does the
        answer (two requests racing may both compute it; the answers are the same). The
        least recently used answers go beyond MEMO_SIZE."""
        memo = self._memo
        if key in memo:
            memo.move_to_end(key)
            return cast(T, memo[key])
        memo[key] = found = compute(wh)
        while len(memo) > MEMO_SIZE:
            memo.popitem(last=False)
        return found
