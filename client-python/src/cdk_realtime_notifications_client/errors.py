"""Typed errors: the server's refusals and the client's own failures."""
from __future__ import annotations

from typing import Literal, Optional

ErrorCode = Literal[
    "BAD_REQUEST", "UNKNOWN_ACTION", "FORBIDDEN", "LIMIT_EXCEEDED", "PAYLOAD_TOO_LARGE", "RATE_LIMITED", "UNAUTHORIZED", "INTERNAL",
    # the client's own
    "TIMEOUT", "DISCONNECTED", "CLOSED", "TOKEN_FAILED", "PAYLOAD_REFUSED", "KICKED",
]


class RealtimeError(Exception):
    """A refusal from the server (``code`` as in the protocol) or a failure of the client itself:
    TIMEOUT (no answer in time), DISCONNECTED (the connection dropped before the answer came: the
    request may or may not have taken effect), CLOSED (the client was closed), TOKEN_FAILED,
    PAYLOAD_REFUSED (a payload sent by reference could not be fetched or failed its size or SHA-256
    check: that notification is not handed over), KICKED (a backend ended this user's connections:
    the client is closed and does not reconnect on its own)."""

    code: ErrorCode

    def __init__(self, code: ErrorCode, message: str, retry_after_ms: Optional[int] = None, topic: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        #: With RATE_LIMITED: when the next message is accepted.
        self.retry_after_ms = retry_after_ms
        #: The topic the error is about, when it is about one.
        self.topic = topic

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class Forbidden(RealtimeError):
    """FORBIDDEN: the topic rules (or publish, presence, history rules) say no."""


class RateLimited(RealtimeError):
    """RATE_LIMITED: too many messages this second; ``retry_after_ms`` says when to send again."""


class RequestTimeout(RealtimeError):
    """TIMEOUT: no answer within ``request_timeout``."""


class Disconnected(RealtimeError):
    """DISCONNECTED: the connection dropped before the answer; the request may or may not have taken effect."""


class Closed(RealtimeError):
    """CLOSED: ``close()`` was called."""


class TokenFailed(RealtimeError):
    """TOKEN_FAILED: the token callable raised, or returned no usable token."""


class Kicked(RealtimeError):
    """KICKED: a backend ended this user's connections; the client is closed and does not reconnect."""


_CLASSES: dict[str, type[RealtimeError]] = {
    "FORBIDDEN": Forbidden, "RATE_LIMITED": RateLimited, "TIMEOUT": RequestTimeout,
    "DISCONNECTED": Disconnected, "CLOSED": Closed, "TOKEN_FAILED": TokenFailed, "KICKED": Kicked,
}


def realtime_error(code: ErrorCode, message: str, retry_after_ms: Optional[int] = None, topic: Optional[str] = None) -> RealtimeError:
    """The error of ``code``, as its own class where it has one (``except RateLimited``)."""
    return _CLASSES.get(code, RealtimeError)(code, message, retry_after_ms, topic)
