"""An offline HTTP server that speaks the Anthropic and OpenAI streaming wire protocols.

It runs in a background thread on a free local port, answers the official SDKs unchanged
(``base_url`` is all they need), records every request, and notices when a client hangs up
in the middle of a stream. Stdlib only::

    from streamgraph.models import ChatAnthropic
    from streamgraph.testing import MockProviderServer, Reply, Text

    with MockProviderServer() as server:
        server.enqueue(Reply(Text("Hello there!")))
        model = ChatAnthropic(
            model="claude-sonnet-4-5", api_key="test-key", base_url=server.base_url_anthropic
        )
        print("".join(chunk.content for chunk in model.stream("hi")))
        assert server.last_request.body["stream"] is True

Routes: ``POST /v1/messages`` (Anthropic: ``event:`` + ``data:`` lines) and
``POST /v1/chat/completions`` (OpenAI: ``data:`` lines, then ``data: [DONE]``).

Which answer a request gets: the next script from :meth:`MockProviderServer.enqueue` if any;
else the script registered for its last user message with
:meth:`~MockProviderServer.on_prompt`; else the one registered for its ``model`` with
:meth:`~MockProviderServer.on_model`; else a model named ``fixture:<file>`` replays that
recorded stream; else ``server.default``.

It takes load as a provider would: a thousand streams may connect at once.
"""

from __future__ import annotations

import collections
import contextlib
import json
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal
from urllib.parse import urlsplit

from . import _render
from ._render import ErrorAnswer, Frame
from .scripts import Fixture, HttpError, Raw, Reply, Script

__all__ = ["MockProviderServer", "RecordedRequest"]

Provider = Literal["anthropic", "openai"]

# Under this Anthropic API version the sampling parameters are gone; the API answers 400.
_NO_SAMPLING_VERSION = "2026-10-21"
_SAMPLING_PARAMS = ("temperature", "top_p", "top_k")


@dataclass(eq=False)
class RecordedRequest:
    """One request the server received, and what became of its answer.

    ``events_sent`` / ``sent_at`` grow while the answer streams (``sent_at`` holds a
    ``time.perf_counter()`` stamp per event written), so a test can compare what the client
    has seen with what the server had sent at that moment.
    """

    provider: Provider
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    script: Script | None = None
    status: int = 0
    total_events: int = 0
    events_sent: int = 0
    sent_at: list[float] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    completed: threading.Event = field(default_factory=threading.Event)
    disconnected: threading.Event = field(default_factory=threading.Event)

    @property
    def api_key(self) -> str | None:
        """The key the client sent, from ``x-api-key`` or ``Authorization: Bearer``."""
        if "x-api-key" in self.headers:
            return self.headers["x-api-key"]
        auth = self.headers.get("authorization", "")
        return auth[7:] if auth.lower().startswith("bearer ") else None


class _ClientGone(Exception):
    """The client closed the connection while the server was still answering."""


class MockProviderServer:
    """A local Anthropic + OpenAI compatible server for tests and benchmarks.

    ``api_key=None`` accepts any key; otherwise a missing or different key gets a 401 in the
    provider's error shape. Use it as a context manager, or call :meth:`start` and
    :meth:`close`.
    """

    def __init__(
        self,
        *,
        api_key: str | None = "test-key",
        default: Script | None = None,
        hold_timeout: float = 30.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.default: Script = default or Reply()
        self.hold_timeout = hold_timeout
        self._address = (host, port)
        self._queue: collections.deque[Script] = collections.deque()
        self._by_model: dict[str, Script] = {}
        self._by_prompt: dict[str, Script] = {}
        self._requests: list[RecordedRequest] = []
        self._cond = threading.Condition()
        self._disconnects = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> MockProviderServer:
        if self._server is None:
            self._server = _Server(self._address, self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name="mock-provider",
                daemon=True,
            )
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving, end open connections and wait for their threads."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        self.release_all()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(5.0)

    def __enter__(self) -> MockProviderServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the mock server is not running; call start() first")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def base_url_anthropic(self) -> str:
        """``base_url`` for the Anthropic SDK (it appends ``/v1/messages``)."""
        return self.url

    @property
    def base_url_openai(self) -> str:
        """``base_url`` for the OpenAI SDK (it appends ``/chat/completions``)."""
        return f"{self.url}/v1"

    # -- scripting ---------------------------------------------------------------------

    def enqueue(self, *scripts: Script) -> None:
        """Answer the next requests (of either provider) with these scripts, in order."""
        with self._cond:
            self._queue.extend(scripts)

    def on_model(self, model: str, script: Script) -> None:
        """Answer every request for ``model`` with ``script`` while the queue is empty."""
        with self._cond:
            self._by_model[model] = script

    def on_prompt(self, prompt: str, script: Script) -> None:
        """Answer every request whose last user message is ``prompt`` with ``script`` while
        the queue is empty (the text of its text blocks, joined, when it has blocks)."""
        with self._cond:
            self._by_prompt[prompt] = script

    def release_all(self) -> None:
        """Let every held stream go on (see ``Reply.hold_after``)."""
        for record in self.requests:
            record.release.set()

    def _next_script(self, body: dict[str, Any]) -> Script:
        model = body.get("model")
        with self._cond:
            if self._queue:
                return self._queue.popleft()
            if self._by_prompt:
                prompt = _last_user_text(body.get("messages"))
                if prompt is not None and prompt in self._by_prompt:
                    return self._by_prompt[prompt]
            if isinstance(model, str) and model in self._by_model:
                return self._by_model[model]
        if isinstance(model, str) and model.startswith("fixture:"):
            name = model.removeprefix("fixture:")
            return Fixture(name if "." in name else f"{name}.sse")
        return self.default

    # -- records -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._cond:
            return list(self._requests)

    @property
    def last_request(self) -> RecordedRequest:
        with self._cond:
            if not self._requests:
                raise LookupError("the mock server has received no request yet")
            return self._requests[-1]

    @property
    def disconnects(self) -> int:
        """How many answers were cut short because the client hung up."""
        with self._cond:
            return self._disconnects

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Wait until ``count`` requests were received; False if ``timeout`` passed."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._requests) >= count, timeout)

    def wait_for_disconnect(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait until ``count`` client disconnects were seen; False if ``timeout`` passed."""
        with self._cond:
            return self._cond.wait_for(lambda: self._disconnects >= count, timeout)

    def _add(self, record: RecordedRequest) -> None:
        with self._cond:
            self._requests.append(record)
            self._cond.notify_all()

    def _client_gone(self, record: RecordedRequest) -> None:
        with self._cond:
            record.disconnected.set()
            self._disconnects += 1
            self._cond.notify_all()


def _last_user_text(messages: object) -> str | None:
    if not isinstance(messages, list):
        return None
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(
                    str(b.get("text", "")) for b in content if isinstance(b, dict) and "text" in b
                )
            return None
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The kernel caps it (net.core.somaxconn); the default of 5 refused most of a burst of
    # concurrent connections, as no provider would.
    request_queue_size = 4096

    def __init__(self, address: tuple[str, int], mock: MockProviderServer) -> None:
        self.mock = mock
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._conn_threads: set[threading.Thread] = set()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name="mock-provider-connection",
            daemon=True,
        )
        with self._lock:
            self._connections.add(request)
            self._conn_threads.add(thread)
        thread.start()

    def _serve_connection(self, request: Any, client_address: Any) -> None:
        try:
            self.process_request_thread(request, client_address)
        finally:
            with self._lock:
                self._connections.discard(request)
                self._conn_threads.discard(threading.current_thread())

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up between requests is normal; nothing to report

    def close_connections(self) -> None:
        with self._lock:
            connections, threads = list(self._connections), list(self._conn_threads)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(5.0)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60  # idle keep-alive connections end after this
    # Send each small event at once: with Nagle's algorithm a write can wait ~40 ms for an ACK.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        provider: Provider | None = {
            "/v1/messages": "anthropic",
            "/v1/chat/completions": "openai",
        }.get(path)  # type: ignore[assignment]
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        if provider is None:
            self._send_json(404, {"error": {"type": "not_found_error", "message": path}})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = RecordedRequest(provider, path, headers, body if isinstance(body, dict) else {})
        self.server.mock._add(record)
        problem = self._check(record, body)
        if problem is not None:
            self._answer_error(record, problem)
            return
        record.script = script = self.server.mock._next_script(record.body)
        if isinstance(script, HttpError):
            render = (
                _render.anthropic_http_error
                if provider == "anthropic"
                else _render.openai_http_error
            )
            self._answer_error(record, render(script))
        elif isinstance(script, Raw):
            self._answer_raw(record, script)
        elif not record.body.get("stream"):
            self._answer_whole(record, script)
        elif isinstance(script, Fixture):
            self._stream(record, _render.fixture_frames(script), script.interval)
        else:
            self._stream_reply(record, script)

    # -- validation --------------------------------------------------------------------

    def _check(self, record: RecordedRequest, body: object) -> ErrorAnswer | None:
        anthropic = record.provider == "anthropic"
        expected = self.server.mock.api_key
        if expected is not None and record.api_key != expected:
            error = HttpError("unauthorized")
            return (_render.anthropic_http_error if anthropic else _render.openai_http_error)(error)
        if not isinstance(body, dict):
            return self._bad_request(anthropic, "the request body is not a JSON object")
        required = ("model", "max_tokens", "messages") if anthropic else ("model", "messages")
        for name in required:
            if name not in body:
                return self._bad_request(anthropic, f"{name}: Field required")
        if not anthropic:
            return None
        version = record.headers.get("anthropic-version")
        if not version:
            return self._bad_request(True, "anthropic-version: header is required")
        if version == _NO_SAMPLING_VERSION:
            for name in _SAMPLING_PARAMS:
                if name in body:
                    return self._bad_request(True, f"{name}: Extra inputs are not permitted")
        return None

    @staticmethod
    def _bad_request(anthropic: bool, message: str) -> ErrorAnswer:
        error = HttpError("bad_request", message=message)
        return (_render.anthropic_http_error if anthropic else _render.openai_http_error)(error)

    # -- whole answers -----------------------------------------------------------------

    def _answer_error(self, record: RecordedRequest, answer: ErrorAnswer) -> None:
        record.status = answer.status
        self._send_json(answer.status, answer.body, answer.headers)
        record.completed.set()

    def _answer_whole(self, record: RecordedRequest, script: Script) -> None:
        if isinstance(script, Fixture):
            problem = self._bad_request(record.provider == "anthropic", "fixtures need stream")
            self._answer_error(record, problem)
            return
        assert isinstance(script, Reply)
        model = str(record.body.get("model"))
        if record.provider == "anthropic":
            payload = _render.anthropic_message(script, model)
        else:
            payload = _render.openai_completion(script, model)
        record.status = 200
        self._send_json(200, payload)
        record.completed.set()

    def _answer_raw(self, record: RecordedRequest, raw: Raw) -> None:
        streamed = bool(record.body.get("stream"))
        default = "text/event-stream; charset=utf-8" if streamed else "application/json"
        record.status = 200
        record.total_events = len(raw.chunks)
        self.send_response(200)
        self.send_header("content-type", raw.content_type or default)
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_mock{id(record):x}")
        self.end_headers()
        try:
            for data in raw.chunks:
                self._write_chunk(record, data)
            record.completed.set()
            self._write(b"0\r\n\r\n")
        except _ClientGone:
            self.close_connection = True
            self.server.mock._client_gone(record)

    def _send_json(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", f"req_mock{id(self):x}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    # -- streams -----------------------------------------------------------------------

    def _stream_reply(self, record: RecordedRequest, reply: Reply) -> None:
        model = str(record.body.get("model"))
        if record.provider == "anthropic":
            frames = _render.anthropic_stream(reply, model)
            error = _render.anthropic_error_frame(reply)
        else:
            options = record.body.get("stream_options") or {}
            include_usage = bool(isinstance(options, dict) and options.get("include_usage"))
            frames = _render.openai_stream(reply, model, include_usage=include_usage)
            error = _render.openai_error_frame(reply)
        self._stream(record, frames, reply.interval, reply, error)

    def _stream(
        self,
        record: RecordedRequest,
        frames: list[Frame],
        interval: float,
        reply: Reply | None = None,
        error: Frame | None = None,
    ) -> None:
        record.status = 200
        record.total_events = len(frames)
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_mock{id(record):x}")
        self.end_headers()
        try:
            self._write_frames(record, frames, interval, reply, error)
        except _ClientGone:
            self.close_connection = True
            self.server.mock._client_gone(record)

    def _write_frames(
        self,
        record: RecordedRequest,
        frames: list[Frame],
        interval: float,
        reply: Reply | None,
        error: Frame | None,
    ) -> None:
        deltas = 0
        for frame in frames:
            if frame.delta and reply is not None:
                if deltas == reply.cut_after:
                    self._cut()
                    return
                if deltas == reply.error_after and error is not None:
                    record.total_events = record.events_sent + 1
                    self._write_chunk(record, error.data)
                    break
                if deltas == reply.hold_after:
                    self._hold(record)
            if frame.delta:
                deltas += 1
                if interval > 0:
                    self._pause(interval)
            self._write_chunk(record, frame.data)
        record.completed.set()
        # The client has every event; one that hangs up without reading the end is fine.
        with contextlib.suppress(_ClientGone):
            self._write(b"0\r\n\r\n")

    def _write_chunk(self, record: RecordedRequest, data: bytes) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(data), data))
        record.events_sent += 1
        record.sent_at.append(time.perf_counter())

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError as exc:  # BrokenPipe, ConnectionReset, ...
            raise _ClientGone from exc

    def _cut(self) -> None:
        """Drop the connection mid-body: the client sees an incomplete chunked read."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _peer_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _pause(self, seconds: float) -> None:
        """Sleep, but notice at once if the client hangs up meanwhile."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], remaining)
            if readable:
                if self._peer_gone():
                    raise _ClientGone
                time.sleep(max(0.0, deadline - time.monotonic()))  # data, not EOF: just wait
                return

    def _hold(self, record: RecordedRequest) -> None:
        deadline = time.monotonic() + self.server.mock.hold_timeout
        while not record.release.wait(0.01):
            if self._peer_gone():
                raise _ClientGone
            if time.monotonic() > deadline:
                return
