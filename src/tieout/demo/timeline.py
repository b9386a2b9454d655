"""Ticket timelines: the states a ticket passed through, built in business time.

A ticket is opened, answered after `response` working seconds, worked for `work` working
seconds in all (the resolution clock, response included), interrupted by pauses (on hold,
pending, or resolved and then reopened), and finally resolved (or canceled); resolved
tickets close a few calendar days later. Every transition after the opening is placed in
working time on the `uk` calendar, so agents act during office hours. Events after the
export moment are cut off: what is left is exactly what the source system can know.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from tieout.demo.calendar import clock
from tieout.demo.fmt import BoolArray, FloatArray, IntArray, i64
from tieout.demo.vec import expand, occurrence

NEW, RUNNING, HOLD, PENDING, RESOLVED, CLOSED, CANCELED = range(7)
MINUTE: Final = 60


@dataclass
class Pauses:
    """Pauses of a batch of tickets, any order: owner ticket, kind, working seconds, and
    where along the ticket's running time after the first response it starts (0..1)."""

    ticket: IntArray
    kind: IntArray  # HOLD, PENDING or RESOLVED (resolved, then reopened)
    seconds: IntArray
    at: FloatArray


@dataclass
class Timeline:
    """Every state interval up to the export moment, ticket by ticket in time order,
    plus what each ticket looks like at that moment."""

    ticket: IntArray
    state: IntArray
    start: IntArray
    end: IntArray  # -1: the state the ticket is in now
    now_state: IntArray
    first_response: IntArray  # -1 when not yet answered
    resolved: IntArray  # last resolution, when resolved or closed now; else -1
    closed: IntArray  # -1 unless closed now
    reopens: IntArray
    updated: IntArray  # last transition


def build(
    opened: IntArray,
    response: IntArray,
    work: IntArray,
    pauses: Pauses,
    canceled: BoolArray,
    close_days: int,
    export_at: int,
) -> Timeline:
    """Lay out each ticket's events and cut them at `export_at` (see module docstring)."""
    cal = clock()
    n = len(opened)
    per = np.bincount(pauses.ticket, minlength=n)
    response = np.maximum(i64(response), MINUTE)
    work = np.maximum(i64(work), response + MINUTE * (per + 2))
    # pauses in time order within each ticket
    order = np.lexsort((pauses.at, pauses.ticket))
    p_t, p_kind = pauses.ticket[order], pauses.kind[order]
    p_sec = np.maximum(i64(pauses.seconds[order]), MINUTE)
    p_at = pauses.at[order]
    j = occurrence(p_t, np.arange(len(p_t)))
    room = work[p_t] - response[p_t] - MINUTE * (per[p_t] + 1)
    run_at = response[p_t] + MINUTE * (j + 1) + i64(p_at * room)  # running seconds before it
    before = np.cumsum(p_sec) - p_sec
    first = np.cumsum(per) - per
    paused_before = before - before[first[p_t]] if len(p_t) else before
    b0 = cal.cum(opened)
    p_start_b = b0[p_t] + run_at + paused_before
    total_pause = np.bincount(p_t, weights=p_sec, minlength=n).astype(np.int64)
    resolved_at = cal.at(b0 + work + total_pause)
    final = np.where(canceled, CANCELED, RESOLVED)
    close = np.where(canceled, -1, resolved_at + close_days * 86400)

    # events: (ticket, time, state); a pause is two events (its state, then running again)
    ev_t = np.r_[np.arange(n), np.arange(n), p_t, p_t, np.arange(n), np.arange(n)]
    ev_at = np.r_[
        opened,
        cal.at(b0 + response),
        cal.at(p_start_b),
        cal.at(p_start_b + p_sec),
        resolved_at,
        close,
    ]
    ev_state = np.r_[
        np.full(n, NEW), np.full(n, RUNNING), p_kind, np.full(len(p_t), RUNNING), final,
        np.full(n, CLOSED),
    ]  # fmt: skip
    keep = (ev_at >= 0) & (ev_at <= export_at)
    ev_t, ev_at, ev_state = ev_t[keep], i64(ev_at[keep]), i64(ev_state[keep])
    seq = np.lexsort((np.arange(len(ev_t)), ev_at, ev_t))
    ev_t, ev_at, ev_state = ev_t[seq], ev_at[seq], ev_state[seq]
    last = np.r_[ev_t[1:] != ev_t[:-1], True] if len(ev_t) else np.zeros(0, np.bool_)
    end = np.where(last, -1, np.r_[ev_at[1:], 0] if len(ev_at) else ev_at)

    now_state = np.zeros(n, dtype=np.int64)
    updated = np.zeros(n, dtype=np.int64)
    now_state[ev_t[last]] = ev_state[last]
    updated[ev_t[last]] = ev_at[last]
    answered = ev_state == RUNNING
    first_response = _first(n, ev_t[answered], ev_at[answered])
    stopped = ev_state == RESOLVED
    last_resolved = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_resolved, ev_t[stopped], ev_at[stopped])
    done = (now_state == RESOLVED) | (now_state == CLOSED)
    reopened = stopped & ~last  # resolved, and something came after it
    reopens = np.bincount(ev_t[reopened & (np.r_[ev_state[1:], 0] == RUNNING)], minlength=n)
    closed_now = now_state == CLOSED
    return Timeline(
        ticket=i64(ev_t),
        state=ev_state,
        start=ev_at,
        end=i64(end),
        now_state=now_state,
        first_response=first_response,
        resolved=np.where(done, last_resolved, -1),
        closed=np.where(closed_now, updated, -1),
        reopens=i64(reopens),
        updated=updated,
    )


def _first(n: int, owner: IntArray, at: IntArray) -> IntArray:
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, owner, at)
    return i64(np.where(out == np.iinfo(np.int64).max, -1, out))


def draw_pauses(
    rng: np.random.Generator,
    kinds: tuple[int, ...],
    counts: list[IntArray],
    median_hours: tuple[float, ...],
) -> Pauses:
    """Pauses of each kind: counts[k][i] pauses of kinds[k] for ticket i, each lasting a
    lognormal number of working hours around median_hours[k] (resolved-then-reopened
    pauses are kept under a working day: the customer answers within a day)."""
    parts: list[tuple[IntArray, IntArray, IntArray]] = []
    for kind, count, median in zip(kinds, counts, median_hours, strict=True):
        owner, _ = expand(count)
        hours = rng.lognormal(np.log(median), 0.9, len(owner))
        hours = np.clip(hours, 0.25, 7.5 if kind == RESOLVED else 80.0)
        parts.append((owner, np.full(len(owner), kind), i64(hours * 3600)))
    owner = i64(np.concatenate([p[0] for p in parts]))
    return Pauses(
        ticket=owner,
        kind=i64(np.concatenate([p[1] for p in parts])),
        seconds=i64(np.concatenate([p[2] for p in parts])),
        at=rng.random(len(owner)),
    )


def running_seconds(tl: Timeline, n: int, now: int) -> IntArray:
    """Working seconds each ticket's resolution clock ran up to `now`: new and running
    intervals count; pauses and stopped (resolved, closed, canceled) intervals do not."""
    cal = clock()
    counts = (tl.state == NEW) | (tl.state == RUNNING)
    end = np.where(tl.end < 0, now, np.minimum(tl.end, now))
    secs = np.where(counts, cal.between(tl.start, end), 0)
    return i64(np.bincount(tl.ticket, weights=secs, minlength=n))


def seconds_in(tl: Timeline, n: int, state: int, until: IntArray) -> IntArray:
    """Working seconds each ticket spent in `state` in intervals that ended by `until` (per
    ticket): the state it is in now, and anything after `until`, do not count."""
    done = (tl.state == state) & (tl.end >= 0) & (tl.end <= until[tl.ticket])
    secs = np.where(done, clock().between(tl.start, np.maximum(tl.end, tl.start)), 0)
    return i64(np.bincount(tl.ticket, weights=secs, minlength=n))
