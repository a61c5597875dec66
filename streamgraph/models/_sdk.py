"""What the provider modules share at the SDK boundary: lazy imports, client lifetimes, params.

The provider SDKs are optional extras, so they are imported on first use. A model keeps one
sync client for its whole life and one async client per event loop: an async HTTP connection
belongs to the loop that opened it, and reusing it from another loop fails. A loop's client
goes with the loop, so a model used under many ``asyncio.run`` calls holds no more clients
than there are live loops. A forked child starts with fresh clients: its parent's pooled
connections are the parent's.
"""

from __future__ import annotations

import asyncio
import email.utils
import importlib
import inspect
import os
import socket
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Mapping
from types import ModuleType
from typing import Any

from streamgraph.engine.green import close_at_run_end
from streamgraph.errors import MissingDependencyError

__all__ = [
    "ClientPool",
    "hang_up",
    "import_sdk",
    "parse_retry_after",
    "shared_ssl_context",
    "split_known",
    "whole_reply_timeout",
]

DEFAULT_TIMEOUT = 120.0
"""Seconds the SDK waits for the next bytes before giving up, so a stalled stream never hangs."""

WHOLE_REPLY_TIMEOUT = 600.0
"""The default for a call made without streaming, whose reply comes only once it is complete."""


def whole_reply_timeout(timeout: float | None) -> float | None:
    """The timeout for a non-streamed call: a longer default, or what the user set."""
    return WHOLE_REPLY_TIMEOUT if timeout == DEFAULT_TIMEOUT else timeout


def import_sdk(package: str, extra: str) -> ModuleType:
    """Import a provider SDK, or say which extra installs it."""
    try:
        return importlib.import_module(package)
    except ImportError as exc:
        raise MissingDependencyError(package, extra) from exc


_ssl_lock = threading.Lock()
_ssl_context: Any = None


def shared_ssl_context() -> Any:
    """One TLS context for every client this process makes.

    Building one costs tens of milliseconds (it loads the CA bundle), and a sync ``stream``
    of a graph gets a fresh event loop, so a fresh async client, per run.
    """
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = import_sdk("httpx2", "anthropic").create_ssl_context()
        return _ssl_context


class ClientPool:
    """Lazily made SDK clients: one sync client, one async client per running event loop.

    Each async client is closed when its loop shuts down (``asyncio.run`` and pytest-asyncio
    finalize open async generators before closing a loop; a sentinel generator hooks that), so
    no connection outlives the loop that opened it, and the pool lets go of it with the loop.
    The engine's private loops behind the sync ``stream`` and ``invoke`` do the same at the
    end of every run, so a loop reused by a later run gets a fresh client.
    """

    def __init__(self, make: Callable[[bool], Any]) -> None:
        self._make = make  # make(is_async): a new client
        self._lock = threading.Lock()
        self._sync: Any = None
        self._sync_closer: weakref.finalize[Any, Any] | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = (
            weakref.WeakKeyDictionary()
        )
        # Not left to the garbage collector: a client freed in a cycle with its connections
        # would see them finalised (and warn "unclosed") before its own close could run.
        self._loops_closer = weakref.finalize(self, _close_on_their_loops, self._async)
        _POOLS.add(self)

    def sync_client(self) -> Any:
        with self._lock:
            if self._sync is None:
                self._sync = self._make(False)
                # Close its connections when the model goes away without close().
                self._sync_closer = weakref.finalize(self, self._sync.close)
            return self._sync

    async def async_client(self) -> Any:
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.get(loop)
            if entry is None or entry.closed:  # a private loop's client closes with its run
                self._forget_closed_loops()
                entry = self._async[loop] = _LoopClient(self._make(True))
                entry.hooked = close_at_run_end(loop, entry.close)
        await entry.arm()
        return entry.client

    def _forget_closed_loops(self) -> None:
        """Let go of the clients of loops that closed while something still held them."""
        for loop, entry in list(self._async.items()):
            if loop.is_closed():
                del self._async[loop]
                entry.discard()

    def close(self) -> None:
        """Close the sync client (async clients close with their loops, or :meth:`aclose`)."""
        with self._lock:
            client, self._sync = self._sync, None
            closer, self._sync_closer = self._sync_closer, None
        if closer is not None:
            closer.detach()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the sync client and the current loop's async client."""
        self.close()
        with self._lock:
            entry = self._async.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            await entry.close()

    def _forget_inherited(self) -> None:
        """In a forked child: start afresh, leaving the parent's clients as they are.

        Their pooled connections are the parent's (the child holds copies of the same
        sockets), so nothing is sent, closed or reused on them from here; a lock a parent
        thread held at the fork stays held in the child, so none is taken either. They are
        kept, never collected, so no finaliser of theirs runs in the child.
        """
        _INHERITED.append((self._sync, list(self._async.values())))
        for closer in (self._sync_closer, self._loops_closer):
            if closer is not None:
                closer.detach()
        self._lock = threading.Lock()
        self._sync = self._sync_closer = None
        self._async = weakref.WeakKeyDictionary()
        self._loops_closer = weakref.finalize(self, _close_on_their_loops, self._async)


_POOLS: weakref.WeakSet[ClientPool] = weakref.WeakSet()
_INHERITED: list[Any] = []  # in a forked child: the parent's clients, never to be touched


def _start_afresh_after_fork() -> None:
    # The child runs only this thread now: no pool can be in use while it is reset.
    global _ssl_lock
    _ssl_lock = threading.Lock()
    for pool in list(_POOLS):
        pool._forget_inherited()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_start_afresh_after_fork)


def _close_on_their_loops(
    clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient],
) -> None:
    for loop, entry in list(clients.items()):
        if not entry.closed and loop.is_running():
            try:
                asyncio.run_coroutine_threadsafe(entry.close(), loop)
            except RuntimeError:
                pass  # the loop closed in the meantime, and its connections with it


class _LoopClient:
    def __init__(self, client: Any) -> None:
        self.client = client
        self._sentinel: AsyncGenerator[None, None] | None = None
        self.closed = False
        self.hooked = False  # closed by the engine at the end of the run

    async def arm(self) -> None:
        if self._sentinel is None and not self.hooked and not self.closed:
            self._sentinel = self._until_loop_shutdown()
            await self._sentinel.__anext__()

    async def _until_loop_shutdown(self) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            # Let go of it: an async generator holds its loop (through the loop's finaliser
            # hook), and the pool's entry must not keep a finished loop alive.
            self._sentinel = None
            await self.close()

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.client.close()

    def discard(self) -> None:
        """Forget a client whose loop was closed without shutting down its async generators.

        Nothing can run on that loop any more, so the client cannot be closed; its sentinel
        is finished here (with nothing left to await) so that it does not call on the closed
        loop when it is collected.
        """
        self.closed = True
        sentinel, self._sentinel = self._sentinel, None
        if sentinel is not None:
            closing = sentinel.aclose()
            try:
                closing.send(None)
            except StopIteration:
                return
            closing.close()  # not reached: that finally awaits nothing once ``closed`` is set


def hang_up(stream: Any) -> None:
    """End an SDK stream's connection at once; safe from any thread.

    A sync read blocked on a silent provider cannot be interrupted in its own thread, so
    the socket is shut down under it: the read returns, the SDK raises, and the stream is
    closed in its own thread as usual. Does nothing where the socket cannot be reached.
    """
    response = getattr(stream, "response", None)
    network = (getattr(response, "extensions", None) or {}).get("network_stream")
    get_extra_info = getattr(network, "get_extra_info", None)
    sock = get_extra_info("socket") if get_extra_info is not None else None
    if isinstance(sock, socket.socket):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # closed already


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return float(millis) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def split_known(
    method: Callable[..., Any], params: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``params`` into keywords ``method`` takes and the rest (sent as ``extra_body``).

    The SDKs reject unknown keywords, while providers (and OpenAI-compatible servers) accept
    fields newer than the installed SDK, so unknown ones travel in the body as they are.
    """
    known = _keywords(method)
    direct = {k: v for k, v in params.items() if k in known}
    extra = {k: v for k, v in params.items() if k not in known}
    return direct, extra


_keyword_cache: dict[Any, frozenset[str]] = {}


def _keywords(method: Callable[..., Any]) -> frozenset[str]:
    key = getattr(method, "__func__", method)
    names = _keyword_cache.get(key)
    if names is None:
        params = inspect.signature(method).parameters.values()
        names = frozenset(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)
        names -= {"extra_headers", "extra_query", "extra_body", "timeout"}
        _keyword_cache[key] = names
    return names
