"""Drives the Python client for python-client.test.ts: reads commands as JSON lines on stdin,
writes what the client hands over and answers as JSON lines on stdout. One client per process."""
import asyncio
import json
import sys
import urllib.request
from typing import Any, Dict, Optional

from cdk_realtime_notifications_client import Backoff, FilePositions, RealtimeClient, RealtimeError, connect


def out(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def error_fields(error: BaseException) -> Dict[str, Any]:
    if isinstance(error, RealtimeError):
        return {"code": error.code, "message": error.message, "retryAfterMs": error.retry_after_ms, "topic": error.topic,
                "class": type(error).__name__}
    return {"code": "EXCEPTION", "message": repr(error), "class": type(error).__name__}


class Driver:
    def __init__(self) -> None:
        self.client: Optional[RealtimeClient] = None
        self.subscriptions: Dict[str, Any] = {}

    async def run(self, command: Dict[str, Any]) -> Any:
        op = command["op"]
        if op == "connect":
            token_url = command["tokenUrl"]
            # Lifetimes of the tokens fetched, in order; the last one for every token after.
            lifetimes = list(command.get("options", {}).get("tokenSeconds", []))

            def fetch_token() -> str:
                url = token_url + (f"&expiresIn={lifetimes.pop(0) if len(lifetimes) > 1 else lifetimes[0]}" if lifetimes else "")
                with urllib.request.urlopen(url) as answer:
                    return str(json.load(answer)["token"])

            async def token() -> str:
                out("token")
                return await asyncio.to_thread(fetch_token)

            o = command.get("options", {})
            self.client = connect(
                command["url"], token=token, user_agent=command["userAgent"],
                reconnect=Backoff(**o.get("reconnect", {"initial_delay": 0.05, "max_delay": 0.5})),
                **{k: v for k, v in o.items() if k in ("ping_interval", "max_connection_age", "request_timeout")},
                **({"positions": FilePositions(o["positions"])} if "positions" in o else {}),
            )
            self.client.on("state", lambda s: out("state", state=s))
            self.client.on("gap", lambda topic: out("gap", topic=topic))
            self.client.on("error", lambda e: out("error", **error_fields(e)))
            return None
        client = self.client
        assert client is not None
        if op == "subscribe":
            topic = command["topic"]

            async def handle(n: Any) -> None:  # a coroutine handler, as apps may write
                out("notification", key=topic, n=n)

            self.subscriptions[topic] = client.subscribe(topic, handle)
            await self.subscriptions[topic]
            return None
        if op == "presenceEvents":
            client.on_presence(command["topic"], lambda e: out("presence", e=e))
            return None
        if op == "unsubscribe":
            self.subscriptions.pop(command["topic"]).unsubscribe()
            return None
        if op == "user":
            client.on_user_notification(lambda n: out("notification", key="", n=n))
            return None
        if op == "publish":
            return await client.publish(command["topic"], command["data"], echo=command.get("echo", False))
        if op == "presence":
            return await client.presence(command["topic"])
        if op == "history":
            return await client.history(command["topic"], before=command.get("before"), limit=command.get("limit"))
        if op == "close":
            await client.close()
            return None
        raise ValueError(f"unknown op {op}")


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: out("unhandled", message=str(context.get("message")), exception=repr(context.get("exception"))))
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    driver = Driver()
    pending = set()

    async def one(command: Dict[str, Any]) -> None:
        try:
            out("result", id=command["id"], value=await driver.run(command))
        except Exception as error:  # noqa: BLE001 - reported to the test
            out("result", id=command["id"], error=error_fields(error))

    while line := await reader.readline():
        task = asyncio.ensure_future(one(json.loads(line)))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if driver.client:
        await driver.client.close()


asyncio.run(main())
