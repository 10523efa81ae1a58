"""Ordering, positions and duplicates of one stream; backoff and keep-alive timing. The same rules
as the JavaScript client's (client/src/stream.ts, recent-ids.ts, backoff.ts, keep-alive.ts)."""
from __future__ import annotations

import random as _random
from dataclasses import dataclass
from typing import Any, Callable, List, Mapping, Optional, Set

from .types import Notification

#: Seqs handed over beyond a hole; past this many, the hole is taken as never to be filled.
MAX_AHEAD = 100


@dataclass(frozen=True)
class Position:
    """Where a stream with history is: the server's ``epoch`` and the ``seq`` up to which every
    notification was handed over."""
    epoch: str
    seq: int

    def to_json(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "seq": self.seq}


class Stream:
    """One stream's ordering (a topic, or the user's own notifications): holds its frames from a
    (re)subscribe until the server's answer, then hands them over in seq order; later frames pass
    at once. Tracks the position to resume from."""

    def __init__(self) -> None:
        self.position: Optional[Position] = None
        self._ahead: Set[int] = set()
        self._held: Optional[List[Notification]] = None
        # After an answer that replayed nothing, notifications up to its position may still be on
        # their way live: for seqs in (above, up_to], ids alone decide.
        self._unsure: Optional[tuple[str, int, int]] = None

    @property
    def holding(self) -> bool:
        return self._held is not None

    def hold(self) -> None:
        if self._held is None:
            self._held = []

    def take(self, frame: Notification) -> List[Notification]:
        if self._held is not None:
            self._held.append(frame)
            return []
        return [frame] if self._pass(frame) else []

    def release(self, ack: Optional[Mapping[str, Any]] = None, lost: bool = False) -> List[Notification]:
        ack = ack or {}
        held = sorted(self._held or [], key=lambda f: f.get("seq") or 0)
        self._held = None
        epoch, seq = ack.get("epoch"), ack.get("seq")
        if lost or (epoch is not None and (self.position is None or epoch != self.position.epoch)):
            self.forget()
        above = self.position.seq if self.position is not None and self.position.epoch == epoch else -1
        out = [f for f in held if self._pass(f)]
        self._unsure = None
        if isinstance(epoch, str) and isinstance(seq, int):
            if not ack.get("recovered") and seq > above:
                self._unsure = (epoch, above, seq)
            self._advance(epoch, seq)
        return out

    def skip(self, epoch: str, seq: int) -> None:
        """Counts a notification as handed over without handing it (the app's own published message)."""
        self._pass({"id": "", "data": None, "time": "", "epoch": epoch, "seq": seq})

    def forget(self) -> None:
        self.position = None
        self._ahead.clear()

    def _pass(self, frame: Notification) -> bool:
        epoch, seq = frame.get("epoch"), frame.get("seq")
        if epoch is None or seq is None:
            return True
        at = self.position
        if at is None or at.epoch != epoch:
            self.forget()
            self.position = Position(epoch, seq)
            return True
        if seq in self._ahead:
            return False
        if seq <= at.seq:
            u = self._unsure
            return u is not None and u[0] == epoch and u[1] < seq <= u[2]
        self._ahead.add(seq)
        if seq == at.seq + 1 or len(self._ahead) > MAX_AHEAD:
            self._advance(epoch, min(self._ahead))
        return True

    def _advance(self, epoch: str, to: int) -> None:
        seq = max(self.position.seq, to) if self.position is not None and self.position.epoch == epoch else to
        self._ahead.difference_update({s for s in self._ahead if s <= seq})
        while seq + 1 in self._ahead:
            self._ahead.discard(seq + 1)
            seq += 1
        self.position = Position(epoch, seq)


class RecentIds:
    """The ids of the last ``capacity`` notifications seen, to drop redeliveries."""

    def __init__(self, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._ids: dict[str, None] = {}  # insertion-ordered

    def add(self, id: str) -> bool:
        """Records ``id``; False when it was already there (a duplicate)."""
        if id in self._ids:
            return False
        self._ids[id] = None
        if len(self._ids) > self._capacity:
            del self._ids[next(iter(self._ids))]
        return True

    def __len__(self) -> int:
        return len(self._ids)


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnect attempts, in seconds: attempt n waits a uniformly random time
    between 0 and min(max_delay, initial_delay × 2ⁿ) (full jitter)."""
    initial_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, random: Callable[[], float] = _random.random) -> float:
        cap: float = min(self.max_delay, self.initial_delay * 2.0 ** min(attempt, 30))
        return random() * cap


@dataclass(frozen=True)
class KeepAliveTiming:
    ping_interval: float
    max_connection_age: float


def keep_alive_timing(idle_timeout: float = 600.0, max_connection: float = 7200.0) -> KeepAliveTiming:
    """The client's timing for a server (seconds): a ping every half idle timeout, and each
    connection replaced 5 minutes (at most a fifth of its life) before the server closes it.
    The defaults are API Gateway's (10 minutes idle, 2 hours in all): 300 and 6900."""
    for name, value in (("idle_timeout", idle_timeout), ("max_connection", max_connection)):
        if not value > 0:
            raise ValueError(f"{name} must be a positive number of seconds; got {value}.")
    return KeepAliveTiming(idle_timeout / 2, max_connection - min(300.0, max_connection / 5))
