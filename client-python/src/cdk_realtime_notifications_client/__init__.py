"""asyncio client for cdk-realtime-notifications (docs/protocol.md): reconnects with backoff and
jitter and a fresh token, resubscribes every topic from its last position and resumes the user's
own stream, hands each notification over once, keeps the connection alive and replaces it before
API Gateway's 2-hour cap."""
from .client import API_SUBPROTOCOL, RealtimeClient, Subscription, connect
from .errors import Closed, Disconnected, ErrorCode, Forbidden, RateLimited, RealtimeError, RequestTimeout, TokenFailed
from .positions import FilePositions, MemoryPositions, PositionStore
from .streams import Backoff, KeepAliveTiming, Position, keep_alive_timing
from .types import ConnectionState, HistoryPage, Notification, PresenceAnswer, PresenceEvent, PresenceMember, Published

__version__ = "1.0.0"

__all__ = [
    "API_SUBPROTOCOL", "Backoff", "Closed", "ConnectionState", "Disconnected", "ErrorCode", "FilePositions", "Forbidden",
    "HistoryPage", "KeepAliveTiming", "MemoryPositions", "Notification", "Position", "PositionStore", "PresenceAnswer",
    "PresenceEvent", "PresenceMember", "Published", "RateLimited", "RealtimeClient", "RealtimeError", "RequestTimeout",
    "Subscription", "TokenFailed", "connect", "keep_alive_timing",
]
