"""Streamed calls: Gatehouse's Server-Sent Events read into typed events.

A streamed job call is ``data: {"type": "delta", …}`` events, then one
``data: {"type": "done", …}`` sent once the call is recorded (usage, cost,
credits remaining), then ``data: [DONE]``. A failure part way arrives as a
``{"type": "error", "error": {…}}`` event before the done event.

The decoding is :class:`Decoder`, with no I/O; :class:`ChatStream` and
:class:`AsyncChatStream` feed it lines from a response. Each stream makes
its request when iteration starts, and closing it (or leaving the loop,
which drops it) closes the connection, which makes Gatehouse cancel the
provider request and record what was used so far.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, AsyncGenerator, Dict, Generator, List, Optional

import httpx

from ._transport import AsyncTransport, Request, SyncTransport
from .errors import APIError, GatehouseError, StreamCut, error_from_event
from .types import FunctionCall, StreamDone, StreamEvent, TextDelta, ToolCall, ToolCallDelta, decode

#: The longest event the decoder holds, so a broken or hostile server
#: cannot make the client buffer without bound.
MAX_EVENT_BYTES = 8 << 20


class Decoder:
    """Turns SSE lines into typed events, assembling the whole answer for
    the final event and holding a mid-stream error until the end."""

    def __init__(self) -> None:
        self._data: List[str] = []
        self._size = 0
        self._text: List[str] = []
        self._tools: Dict[int, Dict[str, str]] = {}
        self.error: Optional[APIError] = None
        self.done: Optional[StreamDone] = None
        #: Set once ``data: [DONE]`` was read: nothing follows.
        self.finished = False

    def line(self, line: str) -> List[StreamEvent]:
        """Feeds one line; returns the events it completes. An event the
        body ends in the middle of is never completed (and the stream then
        counts as cut)."""
        line = line.rstrip("\r\n")  # httpx before 0.24 keeps the endings
        if line == "":
            if not self._data:
                return []
            data, self._data, self._size = "\n".join(self._data), [], 0
            return self._event(data)
        field, _, value = line.partition(":")
        if field != "data":
            return []  # comments, event names, ids: nothing Gatehouse uses
        value = value[1:] if value.startswith(" ") else value
        self._size += len(value)
        if self._size > MAX_EVENT_BYTES:
            raise GatehouseError("stream event larger than 8 MiB")
        self._data.append(value)
        return []

    def _event(self, data: str) -> List[StreamEvent]:
        if data == "[DONE]":
            self.finished = True
            return []
        try:
            ev = json.loads(data)
        except ValueError as exc:
            raise GatehouseError(f"malformed stream event {data[:200]!r}") from exc
        kind = ev.get("type") if isinstance(ev, dict) else None
        if kind == "delta":
            return self._delta(ev)
        if kind == "error":
            self.error = error_from_event(ev.get("error"))
            return []
        if kind == "done":
            done = dataclasses.replace(decode(StreamDone, ev), content="".join(self._text), tool_calls=self._tool_calls())
            self.done = done
            if self.error is not None:
                self.error.done = done
                return []  # the error is raised at the end, carrying this
            return [done]
        return []  # a type this client does not know yet

    def _delta(self, ev: Dict[str, Any]) -> List[StreamEvent]:
        out: List[StreamEvent] = []
        content = ev.get("content")
        if isinstance(content, str) and content:
            self._text.append(content)
            out.append(TextDelta(content=content))
        for tc in ev.get("tool_calls") or []:
            if not isinstance(tc, dict):
                continue
            index = int(tc.get("index") or 0)
            piece = ToolCallDelta(index=index, id=str(tc.get("id") or ""), name=str(tc.get("name") or ""), arguments=str(tc.get("arguments") or ""))
            acc = self._tools.setdefault(index, {"id": "", "name": "", "arguments": ""})
            acc["id"] = acc["id"] or piece.id
            acc["name"] = acc["name"] or piece.name
            acc["arguments"] += piece.arguments
            out.append(piece)
        return out

    def _tool_calls(self) -> List[ToolCall]:
        return [
            ToolCall(id=t["id"], function=FunctionCall(name=t["name"], arguments=t["arguments"]))
            for _, t in sorted(self._tools.items())
        ]

    def end(self) -> None:
        """Called when the body ends: raises the stream's error, or
        :class:`StreamCut` when the final event never came."""
        if self.error is not None:
            raise self.error
        if self.done is None:
            why = (
                "Gatehouse ended the stream without its final event (the call's usage and cost were not confirmed)"
                if self.finished
                else "the stream ended before its final event: the answer is incomplete"
            )
            raise StreamCut(why, content="".join(self._text))

    def cut(self, exc: BaseException) -> StreamCut:
        """The error for a connection lost part way."""
        return StreamCut(f"the stream was cut: {type(exc).__name__}: {exc}", content="".join(self._text))


# The generators below are functions of the transport and request, not
# methods: a generator frame holding the stream object would make a
# reference cycle, and a cycle is freed only by the garbage collector,
# seconds later, so leaving the loop would not close the connection at once.


def _events(transport: SyncTransport, req: Request) -> Generator[StreamEvent, None, None]:
    resp = transport.send(req)
    dec = Decoder()
    try:
        try:
            for line in resp.iter_lines():
                yield from dec.line(line)
                if dec.finished:
                    break
        except httpx.HTTPError as exc:
            raise dec.cut(exc) from exc
        dec.end()
    finally:
        resp.close()


async def _aevents(transport: AsyncTransport, req: Request) -> AsyncGenerator[StreamEvent, None]:
    resp = await transport.send(req)
    dec = Decoder()
    try:
        try:
            async for line in resp.aiter_lines():
                for ev in dec.line(line):
                    yield ev
                if dec.finished:
                    break
        except httpx.HTTPError as exc:
            raise dec.cut(exc) from exc
        dec.end()
    finally:
        await resp.aclose()


class ChatStream:
    """A streamed call, iterated with ``for``: :class:`~gatehouse.TextDelta`,
    :class:`~gatehouse.ToolCallDelta`, then one
    :class:`~gatehouse.StreamDone`.

    The request is made when iteration starts (retried, like any call,
    only before the stream begins). Leaving the loop early drops the stream
    and closes its connection at once; Gatehouse then cancels the provider
    request and records what was used so far. ``with`` (or :meth:`close`)
    closes it explicitly. A stream is one call: iterating it again yields
    nothing.
    """

    def __init__(self, transport: SyncTransport, req: Request) -> None:
        self._transport = transport
        self._req = req
        self._gen: Optional[Generator[StreamEvent, None, None]] = None
        self._closed = False

    def __iter__(self) -> "ChatStream":
        return self

    def __next__(self) -> StreamEvent:
        if self._closed:
            raise StopIteration
        if self._gen is None:
            self._gen = _events(self._transport, self._req)
        return next(self._gen)

    def close(self) -> None:
        """Closes the connection (cancelling the call if it is still
        running); safe to call more than once."""
        self._closed = True
        if self._gen is not None:
            self._gen.close()

    def __enter__(self) -> "ChatStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class AsyncChatStream:
    """A streamed call, iterated with ``async for``: :class:`~gatehouse.TextDelta`,
    :class:`~gatehouse.ToolCallDelta`, then one
    :class:`~gatehouse.StreamDone`.

    The request is made when iteration starts (retried, like any call,
    only before the stream begins). Leaving the loop early drops the stream:
    asyncio then closes it on its next turn, which closes the connection;
    Gatehouse cancels the provider request and records what was used so
    far. ``async with`` (or :meth:`aclose`) closes it at a point of your
    choosing, and is the way to go when you keep a reference to the
    stream. A stream is one call: iterating it again yields nothing.
    """

    def __init__(self, transport: AsyncTransport, req: Request) -> None:
        self._transport = transport
        self._req = req
        self._gen: Optional[AsyncGenerator[StreamEvent, None]] = None
        self._closed = False

    def __aiter__(self) -> "AsyncChatStream":
        return self

    async def __anext__(self) -> StreamEvent:
        if self._closed:
            raise StopAsyncIteration
        if self._gen is None:
            self._gen = _aevents(self._transport, self._req)
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        """Closes the connection (cancelling the call if it is still
        running); safe to call more than once."""
        self._closed = True
        if self._gen is not None:
            await self._gen.aclose()

    async def __aenter__(self) -> "AsyncChatStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
