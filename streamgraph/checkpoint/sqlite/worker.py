"""One thread that owns a connection and runs what callers hand it, in order.

Started on first use; :meth:`Worker.close` stops it and closes the connection. Sync callers
wait on a future; async callers await it, so the event loop never blocks on the database.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

from streamgraph.errors import ConfigurationError

__all__ = ["Worker"]

C = TypeVar("C")
T = TypeVar("T")

_Job = tuple[Callable[[Any], Any], "Future[Any]"]


class Worker(Generic[C]):
    def __init__(self, open: Callable[[], tuple[C, Callable[[], None]]], *, name: str) -> None:
        self._open = open
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failed: BaseException | None = None

    def submit(self, fn: Callable[[C], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise ConfigurationError("this saver is closed; open a new one")
            if self._failed is not None:
                raise self._failed
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
            self._jobs.put((fn, future))
        return future

    def call(self, fn: Callable[[C], T]) -> T:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a saver call made from inside the saver's own thread")
        return self.submit(fn).result()

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
            if thread is not None:
                self._jobs.put(None)
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        try:
            conn, close = self._open()
        except BaseException as exc:
            with self._lock:
                self._failed = exc
            self._fail_pending(exc)
            return
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                fn, future = job
                if not future.set_running_or_notify_cancel():
                    continue
                try:
                    future.set_result(fn(conn))
                except BaseException as exc:
                    future.set_exception(exc)
        finally:
            close()

    def _fail_pending(self, exc: BaseException) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and job[1].set_running_or_notify_cancel():
                job[1].set_exception(exc)
