"""A scripted stand-in for Gatehouse over loopback HTTP, for what a healthy
server will not do on demand: answer 500, send a proxy's HTML page, drop a
connection after reading a request, or cut a stream part way. Each request
takes the next scripted reply and is recorded."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional, Tuple


@dataclass
class Reply:
    """One scripted answer. ``drop`` closes the connection after reading the
    request, without answering; ``chunks`` streams raw body pieces."""

    status: int = 200
    body: Any = None
    headers: Dict[str, str] = field(default_factory=dict)
    drop: bool = False
    chunks: Optional[List[str]] = None
    #: Seconds to wait before answering, for timeouts.
    delay: float = 0


def error(status: int, code: str, message: str = "scripted", retry_after: Optional[str] = None, field_name: Optional[str] = None) -> Reply:
    """A reply in Gatehouse's error shape."""
    detail: Dict[str, Any] = {"code": code, "message": message}
    if field_name:
        detail["field"] = field_name
    headers = {"Retry-After": retry_after} if retry_after else {}
    return Reply(status=status, body={"error": detail}, headers=headers)


def sse(*events: Any) -> Reply:
    """A stream of Server-Sent Events: dicts are JSON-encoded data, a string
    starting with ":" is a comment line, other strings are data as is."""
    chunks = [
        f"{e}\n\n" if isinstance(e, str) and e.startswith(":") else f"data: {e if isinstance(e, str) else json.dumps(e)}\n\n"
        for e in events
    ]
    return Reply(status=200, chunks=chunks, headers={"Content-Type": "text/event-stream"})


JOB = {"job_id": "j1", "team_id": "t", "status": "pending", "credits_reserved": 1}
CALL = {"call_id": "c1", "job_id": "j1", "model": "echo", "content": "hi", "finish_reason": "stop", "usage": {"prompt_tokens": 1}}


class FakeGatehouse:
    """Serves scripted replies on 127.0.0.1; ``requests`` records (method,
    path, headers, body) of each request received."""

    def __init__(self) -> None:
        self.replies: List[Reply] = []
        self.requests: List[Tuple[str, str, Dict[str, str], bytes]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                fake.requests.append((self.command, self.path, dict(self.headers), body))
                reply = fake.replies.pop(0) if fake.replies else Reply(status=500, body={"error": {"code": "internal_error", "message": "script ran out"}})
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                if reply.chunks is not None:
                    # No Content-Length: the body ends when the connection closes.
                    self.send_header("Connection", "close")
                    self.end_headers()
                    for chunk in reply.chunks:
                        self.wfile.write(chunk.encode())
                        self.wfile.flush()
                    self.close_connection = True
                    return
                raw = reply.body if isinstance(reply.body, bytes) else (json.dumps(reply.body).encode() if reply.body is not None else b"")
                if not isinstance(reply.body, bytes) and "Content-Type" not in reply.headers:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that timed out and left: expected here

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def script(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests = []

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
