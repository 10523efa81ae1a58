"""The frames the server sends, as the client hands them over (docs/protocol.md)."""
from __future__ import annotations

from typing import Any, List, Literal, TypedDict

#: A notification: ``id``, ``data`` and ``time`` always; one of ``topic``, ``userId`` or
#: ``broadcast``; ``from`` on messages clients published; ``seq`` and ``epoch`` on streams that
#: keep history.
Notification = TypedDict("Notification", {
    "id": str, "data": Any, "time": str, "topic": str, "userId": str, "broadcast": bool, "from": str, "seq": int, "epoch": str,
}, total=False)


class Published(TypedDict, total=False):
    """The server accepted a published message: ``topic`` and ``id`` always; ``seq`` and
    ``epoch`` only when the topic keeps history and the sender may also read it."""
    topic: str
    id: str
    seq: int
    epoch: str


class PresenceMember(TypedDict):
    userId: str
    connections: int


class PresenceAnswer(TypedDict):
    """Who is subscribed to a topic that tracks presence."""
    topic: str
    members: List[PresenceMember]
    count: int
    truncated: bool


class PresenceEvent(TypedDict):
    """A user joined or left a topic that tracks presence."""
    topic: str
    event: Literal["join", "leave"]
    userId: str


class HistoryPage(TypedDict):
    """A page of a topic's kept notifications, oldest first."""
    topic: str
    epoch: str
    notifications: List[Notification]
    hasMore: bool


ConnectionState = Literal["connecting", "open", "reconnecting", "closed"]
