"""The client: one logical connection to the construct's WebSocket API that reconnects,
resubscribes from the last position, drops duplicates, keeps alive and replaces itself before
API Gateway's 2-hour cap. The same behaviour as the JavaScript client (client/src/client.ts)."""
from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import re
import urllib.request
from functools import partial
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Generator, List, Optional, Set, Union, cast

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State as WsState
from websockets.typing import Subprotocol

from .errors import ErrorCode, RealtimeError, realtime_error
from .positions import PositionStore, read_position
from .streams import Backoff, RecentIds, Stream, keep_alive_timing
from .types import ConnectionState, HistoryPage, Notification, PresenceAnswer, PresenceEvent, Published

#: The subprotocol of the construct's API; the token travels beside it as ``token.<JWT>``.
API_SUBPROTOCOL = "realtime.v1"
_TOKEN_CHARS = re.compile(r"^[\w!#$%&'*+.^`|~-]+$")
_ANSWERS = {
    "subscribe": "subscribed", "unsubscribe": "unsubscribed", "publish": "published", "presence": "presence",
    "resume": "resumed", "history": "history", "ping": "pong",
}
_USER = "user"
_RETRIED = ("TIMEOUT", "DISCONNECTED", "INTERNAL", "CLOSED")

Frame = Dict[str, Any]
Handler = Callable[[Notification], Union[None, Awaitable[None]]]
TokenSource = Callable[[], Union[Optional[str], Awaitable[Optional[str]]]]
_Answer = Callable[[Optional[RealtimeError], Optional[Frame]], None]


@dataclass(eq=False)
class _Connection:
    ws: ClientConnection
    pending: int = 0
    retiring: bool = False
    gone: bool = False
    timers: List[asyncio.TimerHandle] = field(default_factory=list)
    tasks: List["asyncio.Task[None]"] = field(default_factory=list)


@dataclass(eq=False)
class _Topic:
    stream: Stream
    handlers: List[Handler]
    ready: "asyncio.Future[None]"

    def settle(self, error: Optional[RealtimeError]) -> None:
        if self.ready.done():
            return
        if error:
            self.ready.set_exception(error)
        else:
            self.ready.set_result(None)


@dataclass(eq=False)
class _Request:
    answer: _Answer
    timer: asyncio.TimerHandle
    on: Optional[_Connection] = None


class Subscription:
    """A topic subscription: ``await sub.ready`` (or ``await sub``) settles with the server's first
    answer and raises its error (``Forbidden``, say)."""

    def __init__(self, ready: "asyncio.Future[None]", unsubscribe: Callable[[], None]) -> None:
        self.ready = ready
        self._unsubscribe = unsubscribe

    def unsubscribe(self) -> None:
        self._unsubscribe()

    def __await__(self) -> Generator[Any, None, "Subscription"]:
        yield from asyncio.shield(self.ready).__await__()
        return self


class RealtimeClient:
    """Opens at once (inside a running event loop) and stays connected until ``close()``.

    ``token`` is called before every (re)connect for a fresh JWT (a function or a coroutine
    function); ``positions`` keeps stream positions across restarts (``FilePositions``). Times are
    in seconds."""

    def __init__(
        self,
        url: str,
        *,
        token: Optional[TokenSource] = None,
        reconnect: Backoff = Backoff(),
        ping_interval: Optional[float] = None,
        max_connection_age: Optional[float] = None,
        request_timeout: float = 10.0,
        positions: Optional[PositionStore] = None,
        dedupe_window: int = 1000,
        open_timeout: float = 10.0,
        user_agent: Optional[str] = None,
    ) -> None:
        if not re.match(r"^wss?://", url):
            raise ValueError(f'url must be the WebSocket URL, starting with wss:// (or ws:// locally); got "{url}".')
        timing = keep_alive_timing()
        self.ping_interval = timing.ping_interval if ping_interval is None else ping_interval
        self.max_connection_age = timing.max_connection_age if max_connection_age is None else max_connection_age
        for name, value in (("ping_interval", self.ping_interval), ("max_connection_age", self.max_connection_age),
                            ("request_timeout", request_timeout), ("dedupe_window", dedupe_window)):
            if not value > 0:
                raise ValueError(f"{name} must be a positive number; got {value}.")
        self.url = url
        self.state: ConnectionState = "connecting"
        self._token = token
        self._backoff = reconnect
        self._request_timeout = request_timeout
        self._positions = positions
        self._open_timeout = open_timeout
        self._user_agent = user_agent
        self._loop = asyncio.get_running_loop()
        self._listeners: Dict[str, Set[Callable[[Any], Any]]] = {"state": set(), "gap": set(), "error": set()}
        self._topics: Dict[str, _Topic] = {}
        self._presence: Dict[str, Set[Callable[[PresenceEvent], Any]]] = {}
        self._user_handlers: List[Handler] = []
        self._user = Stream()
        self._user.position = read_position(positions, _USER)
        self._recent = RecentIds(dedupe_window)
        self._requests: Dict[str, _Request] = {}
        self._outbox: List[Callable[[_Connection], None]] = []
        self._conn: Optional[_Connection] = None
        self._next: Optional[_Connection] = None
        self._failures = 0
        self._counter = 0
        self._dial_timer: Optional[asyncio.TimerHandle] = None
        self._resume_unknown = False
        #: Set by the first KICKED: a replacement connection may say so too.
        self._kicked = False
        self._background: Set["asyncio.Task[Any]"] = set()
        #: Set while payloads sent by reference are being fetched: later frames queue behind them.
        self._loading: Optional["asyncio.Task[None]"] = None
        # Listeners added right after the constructor hear the first state too.
        self._loop.call_soon(self._announce_connecting)
        self._dial(0)

    def _announce_connecting(self) -> None:
        if self.state == "connecting":
            self._emit("state", "connecting")

    async def __aenter__(self) -> "RealtimeClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ---- the app's API ------------------------------------------------------------------------

    def on(self, event: str, listener: Callable[[Any], Any]) -> Callable[[], None]:
        """Listens to ``state`` (a ConnectionState), ``gap`` (the topic, or None for the user's
        stream, whose missed notifications could not be replayed) or ``error`` (a RealtimeError
        nothing else reports); returns the function that stops listening."""
        if event not in self._listeners:
            raise ValueError(f'unknown event "{event}": state, gap or error')
        self._listeners[event].add(listener)
        return lambda: self._listeners[event].discard(listener)

    def subscribe(self, topic: str, handler: Handler) -> Subscription:
        """Subscribes to ``topic``, resubscribing after every reconnect from the last position;
        ``handler`` (a function or coroutine function) gets each notification once."""
        self._assert_open()
        entry = self._topics.get(topic)
        if entry is None:
            ready: asyncio.Future[None] = self._loop.create_future()
            ready.add_done_callback(lambda f: f.cancelled() or f.exception())  # reported to whoever awaits it
            entry = _Topic(Stream(), [], ready)
            entry.stream.position = read_position(self._positions, f"topic:{topic}")
            self._topics[topic] = entry
            for c in self._live():
                self._subscribe_on(c, topic, entry)
        created = entry
        created.handlers.append(handler)

        def unsubscribe() -> None:
            if handler not in created.handlers:
                return
            created.handlers.remove(handler)
            if created.handlers or self._topics.get(topic) is not created:
                return
            del self._topics[topic]
            for c in self._live():
                self._send(c, {"action": "unsubscribe", "topic": topic})

        return Subscription(created.ready, unsubscribe)

    def on_user_notification(self, handler: Handler) -> Callable[[], None]:
        """Notifications sent to this user (and broadcasts), resumed after every reconnect."""
        self._user_handlers.append(handler)
        if len(self._user_handlers) == 1:
            for c in self._live():
                self._resume_on(c)
        return lambda: self._user_handlers.remove(handler) if handler in self._user_handlers else None

    def on_presence(self, topic: str, listener: Callable[[PresenceEvent], Any]) -> Callable[[], None]:
        """Join and leave events of a topic this client subscribes to."""
        self._presence.setdefault(topic, set()).add(listener)
        return lambda: self._presence.get(topic, set()).discard(listener)

    async def publish(self, topic: str, data: Any, *, echo: bool = False) -> Published:
        """Publishes a client message; returns once the server accepted it."""
        frame: Frame = {"action": "publish", "topic": topic, "data": data}
        if echo:
            frame["echo"] = True
        answer = _strip(await self._request(frame))
        entry = self._topics.get(topic)
        epoch, seq = answer.get("epoch"), answer.get("seq")
        # Without echo the message never comes back live: a replay must not hand it over later either.
        if not echo and entry is not None and isinstance(epoch, str) and isinstance(seq, int):
            self._recent.add(answer["id"])
            entry.stream.skip(epoch, seq)
        return cast(Published, answer)

    async def presence(self, topic: str) -> PresenceAnswer:
        """Who is subscribed to ``topic`` (on topics that track presence)."""
        return cast(PresenceAnswer, _strip(await self._request({"action": "presence", "topic": topic})))

    async def history(self, topic: str, *, before: Optional[int] = None, limit: Optional[int] = None) -> HistoryPage:
        """A page of ``topic``'s stored history, oldest first: pass ``before`` the oldest seq to page back."""
        frame: Frame = {"action": "history", "topic": topic}
        if before is not None:
            frame["before"] = before
        if limit is not None:
            frame["limit"] = limit
        return cast(HistoryPage, _strip(await self._request(frame)))

    async def wait_open(self, timeout: Optional[float] = None) -> None:
        """Returns once the client is open (at once when it is)."""
        if self.state == "open":
            return
        opened: asyncio.Future[None] = self._loop.create_future()
        def on_state(state: ConnectionState) -> None:
            if state == "open" and not opened.done():
                opened.set_result(None)

        stop = self.on("state", on_state)
        try:
            await asyncio.wait_for(opened, timeout)
        finally:
            stop()

    async def close(self) -> None:
        """Closes the connection for good; pending requests fail with CLOSED."""
        if self.state == "closed":
            return
        self._set_state("closed")
        if self._dial_timer:
            self._dial_timer.cancel()
        closed = realtime_error("CLOSED", "The client was closed. Connect again to send more.")
        self._outbox = []
        for request_id in list(self._requests):
            self._settle(request_id, closed)
        live = self._live()
        for c in live:
            self._drop(c, 1000)
        await asyncio.gather(*(c.ws.wait_closed() for c in live), return_exceptions=True)

    # ---- connections --------------------------------------------------------------------------

    def _live(self) -> List[_Connection]:
        return [c for c in (self._conn, self._next) if c is not None]

    def _spawn(self, coroutine: Awaitable[Any]) -> "asyncio.Task[Any]":
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    def _dial(self, failures: int) -> None:
        """Dials after the backoff for the ``failures``th failure in a row (none for the first connect)."""
        wait = 0.0 if self.state == "connecting" and failures == 0 else self._backoff.delay(failures - 1)
        self._dial_timer = self._loop.call_later(wait, lambda: self._spawn(self._dial_now()))

    async def _dial_now(self) -> None:
        try:
            c = await self._open()
        except Exception:
            if self.state == "closed":
                return
            self._set_state("reconnecting")
            self._failures += 1
            self._dial(self._failures)
            return
        self._adopt(c)

    async def _open(self) -> _Connection:
        """Opens a socket with a fresh token."""
        protocols = [Subprotocol(API_SUBPROTOCOL)]
        if self._token is not None:
            try:
                protocols.append(Subprotocol(f"token.{await self._fresh_token()}"))
            except Exception as error:
                self._emit("error", realtime_error("TOKEN_FAILED", f"The token function failed: {error}. Connecting again later."))
                raise
        if self.state == "closed":
            raise RuntimeError("closed")
        if self._user_agent:
            ws = await ws_connect(self.url, subprotocols=protocols, ping_interval=None, open_timeout=self._open_timeout, max_size=None,
                                  user_agent_header=self._user_agent)
        else:
            ws = await ws_connect(self.url, subprotocols=protocols, ping_interval=None, open_timeout=self._open_timeout, max_size=None)
        return _Connection(ws)

    async def _fresh_token(self) -> str:
        assert self._token is not None
        token = self._token()
        if inspect.isawaitable(token):
            token = await token
        return _checked(token)

    def _reauth(self, c: _Connection) -> None:
        """The token is about to expire: a fresh one from the token function, over the open connection."""
        if self._token is None:
            return

        async def renew() -> None:
            try:
                token = await self._fresh_token()
            except Exception as error:
                self._emit("error", realtime_error("TOKEN_FAILED", f"The token function failed: {error}. The connection closes when its token expires."))
                return
            def answered(error: Optional[RealtimeError], _: Optional[Frame]) -> None:
                if error is not None:
                    self._emit("error", error)

            self._send(c, {"action": "reauth", "token": token}, answered)

        self._spawn(renew())

    def _adopt(self, c: _Connection) -> None:
        """A new connection is open: first connect, reconnect, or the replacement of one near its cap."""
        if self.state == "closed":
            self._spawn(c.ws.close(1000, "done"))
            return
        c.tasks.append(self._spawn(self._read(c)))
        c.tasks.append(self._spawn(self._keep_alive(c)))
        c.timers.append(self._loop.call_later(self.max_connection_age, self._renew, c))
        replacing = self._conn is not None
        if replacing:
            self._next = c
        else:
            self._conn = c
        # Resubscribe everything from its last position; switch over once all have answered.
        restored: List[asyncio.Future[None]] = []
        for topic, entry in list(self._topics.items()):
            restored.append(self._restore(partial(self._subscribe_on, c, topic, entry)))
        if self._user_handlers:
            restored.append(self._restore(partial(self._resume_on, c)))
        if not replacing:
            self._ready(c)

        def switch(_: object) -> None:
            if c.gone or self.state == "closed":
                return
            self._failures = 0
            if self._next is not c:
                return
            old, self._conn, self._next = self._conn, c, None
            if old is not None:
                self._retire(old)

        asyncio.gather(*restored).add_done_callback(switch)

    def _restore(self, start: Callable[[Callable[[], None]], None]) -> "asyncio.Future[None]":
        done: asyncio.Future[None] = self._loop.create_future()

        def finish() -> None:
            if not done.done():
                done.set_result(None)

        start(finish)
        return done

    async def _read(self, c: _Connection) -> None:
        try:
            async for message in c.ws:
                self._receive(c, message if isinstance(message, str) else message.decode())
        except ConnectionClosed:
            pass
        finally:
            self._lost(c)

    async def _keep_alive(self, c: _Connection) -> None:
        while not c.gone:
            await asyncio.sleep(self.ping_interval)
            self._send(c, {"action": "ping"}, partial(self._pinged, c))

    def _pinged(self, c: _Connection, error: Optional[RealtimeError], _: Optional[Frame]) -> None:
        if error is not None and error.code == "TIMEOUT":
            self._drop(c, 4000)  # no answer: the connection is not trusted

    def _ready(self, c: _Connection) -> None:
        self._set_state("open")
        outbox, self._outbox = self._outbox, []
        for send in outbox:
            send(c)

    def _renew(self, c: _Connection) -> None:
        """Make-before-break: a new connection takes over before API Gateway closes this one."""
        if c is not self._conn or self._next is not None or self.state == "closed":
            return

        async def replace() -> None:
            try:
                n = await self._open()
            except Exception:
                c.timers.append(self._loop.call_later(self._backoff.delay(1), self._renew, c))
                return
            self._adopt(n)

        self._spawn(replace())

    def _retire(self, c: _Connection) -> None:
        c.retiring = True
        self._stop_timers(c)
        if c.pending == 0:
            self._drop(c, 1000)

    def _drop(self, c: _Connection, code: int) -> None:
        if c.ws.state in (WsState.CONNECTING, WsState.OPEN):
            self._spawn(c.ws.close(code, "done"))
        self._lost(c)

    def _stop_timers(self, c: _Connection) -> None:
        for timer in c.timers:
            timer.cancel()
        for task in c.tasks[1:]:  # the keep-alive; the reader ends with the socket
            task.cancel()

    def _lost(self, c: _Connection) -> None:
        if c.gone:
            return
        c.gone = True
        self._stop_timers(c)
        lost = realtime_error("DISCONNECTED", "The connection dropped before the answer came: the request may or may not have taken effect. Try again.")
        for request_id, r in list(self._requests.items()):
            if r.on is c:
                self._settle(request_id, lost)
        if c is self._next:
            self._next = None
        if c is not self._conn:
            return
        self._conn, self._next = self._next, None
        if self.state == "closed":
            return
        if self._conn is not None:
            self._ready(self._conn)  # the replacement was already on its way
            return
        self._set_state("reconnecting")
        self._failures += 1
        self._dial(self._failures)

    # ---- streams ------------------------------------------------------------------------------

    def _subscribe_on(self, c: _Connection, topic: str, entry: _Topic, done: Optional[Callable[[], None]] = None) -> None:
        entry.stream.hold()
        since = entry.stream.position
        frame: Frame = {"action": "subscribe", "topic": topic}
        if since is not None:
            frame["since"] = since.to_json()

        def answered(error: Optional[RealtimeError], ack: Optional[Frame]) -> None:
            if self._topics.get(topic) is not entry:
                entry.settle(error)  # unsubscribed meanwhile
                return done() if done else None
            if error is not None and error.code == "BAD_REQUEST" and since is not None:
                # A stored position the server does not know: start afresh.
                entry.stream.forget()
                self._emit("gap", topic)
                return self._subscribe_on(c, topic, entry, done)
            if error is not None and error.code in _RETRIED:
                return self._retry_later(c, error, done)
            refused = error and realtime_error(error.code, error.message, error.retry_after_ms, topic)
            if refused:
                del self._topics[topic]
                self._emit("error", refused)
            lost = since is not None and ack is not None and ack.get("recovered") is False
            if lost:
                self._emit("gap", topic)
            self._hand(entry.stream, entry.handlers, f"topic:{topic}", entry.stream.release(ack, lost))
            entry.settle(refused or None)
            if done:
                done()

        self._send(c, frame, answered)

    def _resume_on(self, c: _Connection, done: Optional[Callable[[], None]] = None) -> None:
        if self._resume_unknown:
            return done() if done else None
        self._user.hold()
        since = self._user.position
        frame: Frame = {"action": "resume"}
        if since is not None:
            frame["since"] = since.to_json()

        def answered(error: Optional[RealtimeError], ack: Optional[Frame]) -> None:
            if error is not None and error.code == "BAD_REQUEST" and since is not None:
                self._user.forget()
                self._emit("gap", None)
                return self._resume_on(c, done)
            if error is not None and error.code in _RETRIED:
                return self._retry_later(c, error, done)
            if error is not None and error.code == "UNKNOWN_ACTION":
                self._resume_unknown = True  # a server without resume still delivers user notifications, live
            elif error is not None:
                self._emit("error", error)
            lost = since is not None and ack is not None and ack.get("recovered") is False
            if lost:
                self._emit("gap", None)
            self._hand(self._user, self._user_handlers, _USER, self._user.release(ack, lost))
            if done:
                done()

        self._send(c, frame, answered)

    def _retry_later(self, c: _Connection, error: RealtimeError, done: Optional[Callable[[], None]]) -> None:
        """A resubscribe that went unanswered: the connection is not trusted; a new one resubscribes."""
        if error.code not in ("DISCONNECTED", "CLOSED"):
            self._drop(c, 4000)
        if done:
            done()

    def _receive(self, c: _Connection, text: str) -> None:
        try:
            frame = json.loads(text)
        except ValueError:
            return
        if not isinstance(frame, dict):
            return
        # Payloads sent by reference are fetched first; frames behind them wait, so order holds.
        if self._loading is None and '"dataUrl"' not in text:
            return self._dispatch(c, frame)
        previous = self._loading

        async def load() -> None:
            if previous is not None:
                await previous
            listed = frame.get("notifications")
            if isinstance(listed, list):
                frame["notifications"] = [n for n in [await self._with_data(n) for n in listed] if n is not None]
            if frame.get("type") == "notification" and await self._with_data(frame) is None:
                return
            self._dispatch(c, frame)

        task = self._spawn(load())
        self._loading = task
        task.add_done_callback(lambda done: setattr(self, "_loading", None) if self._loading is done else None)

    async def _with_data(self, n: Any) -> Optional[Dict[str, Any]]:
        """A notification whose payload did not fit in a frame comes with a presigned ``dataUrl``, its
        ``size`` and ``sha256``: fetched, checked and parsed here into ``data`` (in place). None, with an
        ``error`` event (PAYLOAD_REFUSED), when it cannot be fetched or does not match."""
        if not isinstance(n, dict) or "dataUrl" not in n:
            return cast(Optional[Dict[str, Any]], n)
        url, size, sha256 = n.pop("dataUrl"), n.pop("size", None), n.pop("sha256", None)
        try:
            body = await asyncio.to_thread(_fetch, str(url))
            if len(body) != size or hashlib.sha256(body).hexdigest() != sha256:
                raise ValueError("size or SHA-256")
            n["data"] = json.loads(body)
            return n
        except Exception:
            self._emit("error", realtime_error(
                "PAYLOAD_REFUSED", f"Notification {n.get('id')}: payload not fetched, or size/SHA-256 wrong."))
            return None

    def _dispatch(self, c: _Connection, frame: Dict[str, Any]) -> None:
        kind = frame.get("type")
        request_id = frame.get("requestId")
        request = self._requests.get(request_id) if isinstance(request_id, str) else None
        if request is not None and request.on is c:
            self._settle(cast(str, request_id), _refusal(frame) if kind == "error" else None, frame)
        elif kind == "notification":
            n = cast(Notification, {k: v for k, v in frame.items() if k != "type"})
            topic = n.get("topic")
            entry = self._topics.get(topic) if topic is not None else None
            if entry is not None:
                self._hand(entry.stream, entry.handlers, f"topic:{topic}", entry.stream.take(n))
            elif topic is None:
                self._hand(self._user, self._user_handlers, _USER, self._user.take(n))
        elif kind == "presence" and "event" in frame:
            event = cast(PresenceEvent, {k: v for k, v in frame.items() if k != "type"})
            for listener in list(self._presence.get(event["topic"], ())):
                self._call(listener, event)
        elif kind == "unsubscribed" and frame.get("byServer"):
            # A backend took the topic from this user: it is not resubscribed on reconnect either.
            # Told once, though a connection and its replacement may both say so.
            topic = str(frame.get("topic"))
            if self._topics.pop(topic, None) is not None:
                self._emit("error", realtime_error("FORBIDDEN", f'The server ended the subscription to "{topic}".', topic=topic))
        elif kind == "reauth":
            self._reauth(c)
        elif kind == "closing" and frame.get("code") == "KICKED" and not self._kicked:
            # The server ended this user's connections: reconnecting on our own would undo that.
            self._kicked = True
            self._emit("error", realtime_error("KICKED", str(frame.get("message", ""))))
            self._spawn(self.close())
        elif kind == "error":
            self._emit("error", _refusal(frame))

    def _hand(self, stream: Stream, handlers: List[Handler], key: str, frames: List[Notification]) -> None:
        """Hands notifications to the app, each id once, and keeps the stream's position."""
        for n in frames:
            if self._recent.add(n["id"]):
                for handler in list(handlers):
                    self._call(handler, n)
        if frames and stream.position is not None and self._positions is not None:
            self._positions.set(key, json.dumps(stream.position.to_json()))

    # ---- requests -----------------------------------------------------------------------------

    def _request(self, frame: Frame) -> "asyncio.Future[Frame]":
        self._assert_open()
        answer_type = _ANSWERS[frame["action"]]
        future: asyncio.Future[Frame] = self._loop.create_future()

        def answer(error: Optional[RealtimeError], f: Optional[Frame]) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            elif f is not None and f.get("type") == answer_type and "event" not in f:
                future.set_result(f)
            else:
                future.set_exception(realtime_error("INTERNAL", f'The server answered "{frame["action"]}" with {f and f.get("type")!r}.'))

        self._send(self._conn, frame, answer)
        return future

    def _send(self, c: Optional[_Connection], frame: Frame, answer: Optional[_Answer] = None) -> None:
        """Sends ``frame`` on ``c`` (or the next connection to open); ``answer`` gets the reply or the failure."""
        if answer is None:
            if c is not None and c.ws.state is WsState.OPEN:
                self._spawn(_quietly(c.ws.send(json.dumps(frame))))
            return
        self._counter += 1
        request_id = f"r{self._counter}"
        timeout = self._request_timeout
        timer = self._loop.call_later(timeout, lambda: self._settle(request_id, realtime_error(
            "TIMEOUT", f'No answer to "{frame["action"]}" within {timeout} s. Try again, or raise request_timeout.')))
        request = _Request(answer, timer)
        self._requests[request_id] = request

        def go(on: _Connection) -> None:
            if request_id not in self._requests:
                return  # timed out while waiting for a connection
            if on.ws.state is not WsState.OPEN:
                return self._settle(request_id, realtime_error("DISCONNECTED", "The connection closed before the request was sent. Try again."))
            request.on = on
            on.pending += 1
            self._spawn(_quietly(on.ws.send(json.dumps({**frame, "requestId": request_id}))))

        if c is not None:
            go(c)
        else:
            self._outbox.append(go)

    def _settle(self, request_id: str, error: Optional[RealtimeError], frame: Optional[Frame] = None) -> None:
        request = self._requests.pop(request_id, None)
        if request is None:
            return
        request.timer.cancel()
        c = request.on
        if c is not None:
            c.pending -= 1
            if c.pending == 0 and c.retiring:
                self._drop(c, 1000)
        request.answer(error, frame)

    # ---- helpers ------------------------------------------------------------------------------

    def _assert_open(self) -> None:
        if self.state == "closed":
            raise realtime_error("CLOSED", "The client was closed. Connect again to use it.")

    def _set_state(self, state: ConnectionState) -> None:
        if self.state == state:
            return
        self.state = state
        self._emit("state", state)

    def _emit(self, event: str, value: Any) -> None:
        for listener in list(self._listeners[event]):
            self._call(listener, value)

    def _call(self, fn: Callable[[Any], Any], value: Any) -> None:
        """Calls an app's listener; what it raises is reported to the loop without breaking the client."""
        try:
            result = fn(value)
            if inspect.isawaitable(result):
                task = self._spawn(result)
                task.add_done_callback(self._report)
        except Exception as error:  # noqa: BLE001 - the app's error, reported
            self._loop.call_exception_handler({"message": "A realtime listener raised", "exception": error})

    def _report(self, task: "asyncio.Task[Any]") -> None:
        if not task.cancelled() and task.exception() is not None:
            self._loop.call_exception_handler({"message": "A realtime listener raised", "exception": task.exception()})


def connect(url: str, **options: Any) -> RealtimeClient:
    """Opens a client (inside a running event loop); see RealtimeClient for the options."""
    return RealtimeClient(url, **options)


def _checked(token: object) -> str:
    if not isinstance(token, str) or not _TOKEN_CHARS.match(token):
        if isinstance(token, str):
            raise ValueError("it returned a token with characters a WebSocket subprotocol cannot carry (a JWT has none); "
                             'return the bare token, without "Bearer " or quotes' if token else "it returned an empty token")
        raise ValueError(f"it returned {token!r} instead of the token string (is the user signed in?)")
    return token


def _strip(frame: Frame) -> Frame:
    return {k: v for k, v in frame.items() if k not in ("type", "requestId")}


def _refusal(frame: Frame) -> RealtimeError:
    code = cast(ErrorCode, frame.get("code", "INTERNAL"))
    return realtime_error(code, str(frame.get("message", "")), frame.get("retryAfterMs"))


async def _quietly(send: Awaitable[None]) -> None:
    """A send on a connection that is closing: the reader notices and the request fails DISCONNECTED."""
    try:
        await send
    except ConnectionClosed:
        pass


def _fetch(url: str) -> bytes:
    """GETs a presigned payload URL (the URL is the credential)."""
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (an https URL the server presigned)
        return cast(bytes, response.read())
