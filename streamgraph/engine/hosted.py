"""The sync stream's run: on a host thread of its own, read from whichever thread asks.

``stream`` hands its run to a host thread (:func:`in_host_thread`), which steps it on a
private event loop; a lone sync node runs right there. The consumer only reads: it takes
items from a queue and waits on a lock when there are none, so each ``next()`` may come
from a different thread (a server's thread pool), and a node that blocks (on a thread it
started, on a lock) never blocks the thread reading the stream.

Two things keep that as quick as a run in the consumer's own thread:

- When a node of the host thread calls a model with ``invoke``, the model's stream is
  offered to the consumer, which pulls it itself (in the node's context) while the node
  waits: a token is in the consumer's hands as the model yields it, with no thread
  handoff per token (:func:`consumer_iterates`).
- Anything else the host thread puts waits to be taken: the host goes on once the
  consumer asks for the next item. So the run advances as it is read, as a generator
  does. Items from other threads (nodes of a parallel step, threads a node started) are
  queued at once and wake the consumer if it waits.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import deque
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from streamgraph.engine.bus import End
from streamgraph.engine.green import give_back, run_on, take_loop
from streamgraph.engine.running_loop import get_running_loop
from streamgraph.engine.threads import in_host_thread
from streamgraph.errors import RunCancelled

if TYPE_CHECKING:
    from streamgraph.engine.grace import Cleanup

__all__ = ["HostedRun", "consumer_iterates"]

get_ident = threading.get_ident
_new_lock = threading.Lock

_HOSTED: contextvars.ContextVar[HostedRun | None] = contextvars.ContextVar(
    "streamgraph_hosted_run", default=None
)


def consumer_iterates(chunks: Iterable[Any], accept: Callable[[Any], None]) -> list[Any] | None:
    """In a sync stream's host thread, have its consumer pull ``chunks``, accepting each.

    Returns the list of them all once they are through; None anywhere else (another
    thread, an async door, a stopped run, a stream the consumer pulls already): there the
    caller iterates.
    """
    run = _HOSTED.get()
    if run is None or get_ident() != run._host:
        return None
    return run.iterate_in_consumer(chunks, accept)


class _Offer:
    """A model stream the consumer pulls for the host thread, which waits meanwhile."""

    __slots__ = ("accept", "context", "done", "error", "it", "out")

    def __init__(
        self, it: Iterator[Any], accept: Callable[[Any], None], context: contextvars.Context
    ) -> None:
        self.it = it
        self.accept = accept
        self.context = context  # a copy of the node's: the model's code sees the run
        self.out: list[Any] = []
        self.error: BaseException | None = None
        self.done = _new_lock()  # held until the consumer is through
        self.done.acquire()


class HostedRun:
    """One sync stream's run on a host thread; ``put`` is its stream (from any thread).

    The consumer reads ``items`` and calls ``pump`` whenever it is empty.
    """

    __slots__ = (
        "_cleanup",
        "_closing",
        "_context",
        "_coro",
        "_finished",
        "_go",
        "_host",
        "_lock",
        "_loop",
        "_owed",
        "_pulling",
        "_task",
        "_timer",
        "_waiter",
        "done",
        "items",
    )

    def __init__(self) -> None:
        self.items: deque[Any] = deque()
        self.done = False
        self._context = contextvars.copy_context()  # the run sees the consumer's context
        self._coro: Coroutine[Any, Any, Any] | None = None
        self._host = 0  # the host thread's id, once it runs
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[Any] | None = None
        self._lock = _new_lock()  # orders the host's hand-overs against close()
        self._waiter: Any = None  # a held lock the consumer waits on; a put releases it
        self._owed = False  # the host put an item and waits to be asked for the next
        self._go = _new_lock()  # released when it is asked
        self._go.acquire()
        self._pulling: _Offer | None = None
        self._closing = False
        self._cleanup: Cleanup | None = None
        self._timer: asyncio.TimerHandle | None = None  # the grace of a stopped run
        self._finished = _new_lock()  # held while the run is on its host

    def start(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Give the run its coroutine; the host starts it at the first ``pump``."""
        self._coro = coro

    # -- the run's side (the host, worker threads, threads nodes start) ------------------
    def put(self, item: Any) -> None:
        """Queue one item; the host thread then waits until the consumer asks for more."""
        if get_ident() != self._host:
            self.items.append(item)
            if self._waiter is not None:  # the consumer waits (never while it pulls)
                self._wake()
            return
        with self._lock:
            self.items.append(item)
            if self._closing:
                return  # nobody reads it: the run unwinds
            self._owed = True
        self._wake()
        self._go.acquire()
        if self._closing:
            stop = self._stop_here()
            if stop is not None:
                raise stop

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            try:
                waiter.release()
            except RuntimeError:
                pass  # another producer woke the consumer first

    def iterate_in_consumer(
        self, chunks: Iterable[Any], accept: Callable[[Any], None]
    ) -> list[Any] | None:
        """Have the consumer pull ``chunks``, accepting each: a list of them all.

        Called in the host thread, which waits meanwhile; errors of the iterator (or of
        ``accept``) are raised here. None when the consumer cannot take it.
        """
        offer = _Offer(iter(chunks), accept, contextvars.copy_context())
        with self._lock:
            if self._closing or self._pulling is not None:
                return None
            self._pulling = offer
        self._wake()
        offer.done.acquire()
        error, offer.error = offer.error, None
        try:
            if error is not None:  # cut short: close it in the context it ran in
                offer.context.run(_close, offer.it)
        finally:
            _adopt(offer.context)  # what the model set in its context, the node sees
        if error is _STOPPED:
            error = self._stop_here()
        if error is not None:
            raise error
        return offer.out

    def _body(self, coro: Coroutine[Any, Any, Any]) -> None:
        """In the host: run the coroutine on a private loop; the last item is its ``End``."""
        self._host = get_ident()
        _HOSTED.set(self)
        end = End()
        try:
            loop = self._loop = take_loop()
            try:
                run_on(loop, coro, self._started)
            except BaseException as exc:
                end = End(exc)
            if self._timer is not None:
                self._timer.cancel()
            give_back(loop, self._task)
        except BaseException as exc:  # the loop failed us: still end the stream
            end = End(exc)
        finally:
            _HOSTED.set(None)
            self._loop = self._task = None
            self.done = True
            self.items.append(end)
            self._wake()
            self._finished.release()

    def _started(self, task: asyncio.Task[Any]) -> None:
        self._task = task
        if self._closing:
            self._cancel_task()

    def _stop_here(self) -> BaseException | None:
        """In the host, woken by ``close()`` where it waited: what to raise there.

        The run is cancelled once, as ``task.cancel()`` does, so an async node's cleanup
        (``finally: await ...``) runs on, within the grace period.
        """
        task = self._task
        loop = get_running_loop()
        if loop is None:  # a sync node: no loop runs where it waits
            if task is not None:
                self._cancel_task()
            return RunCancelled("the consumer stopped reading the stream")
        if task is None or asyncio.current_task(loop) is task:
            # put from the run's own task: cancel it right there (only there, not in its
            # task as well, or its cleanup would be cancelled a second time)
            self._arm_grace()
            return asyncio.CancelledError()
        self._cancel_task()  # from a task it started, or a callback: cancel the run, once
        return None

    def _cancel_task(self) -> None:
        """On the host's loop: cancel the run's task, with the grace of its cleanup."""
        task = self._task
        if task is not None and not task.done():
            self._arm_grace()
            task.cancel()

    def _arm_grace(self) -> None:
        cleanup, loop, task = self._cleanup, self._loop, self._task
        if cleanup and cleanup.grace is not None and loop and task and self._timer is None:
            self._timer = loop.call_later(cleanup.grace, _overran, task, cleanup)

    # -- the consumer's side (any thread, one at a time) ---------------------------------
    def pump(self) -> None:
        """Wait until the run has put an item (its ``End`` once it is over)."""
        items = self.items
        while not items:
            if self._owed:
                self._let_go()
            offer = self._pulling
            if offer is not None:
                self._pull(offer)
            elif self._coro is not None:
                self._launch()
            else:
                self._wait()

    def _launch(self) -> None:
        coro, self._coro = self._coro, None
        self._finished.acquire()
        try:
            in_host_thread(self._context.run, self._body, coro)
        except BaseException:
            self._finished.release()
            coro.close()  # type: ignore[union-attr]
            raise

    def _let_go(self) -> None:
        with self._lock:
            owed, self._owed = self._owed, False
        if owed:
            self._go.release()

    def _wait(self) -> None:
        waiter = _new_lock()
        waiter.acquire()
        self._waiter = waiter  # before looking: a put from now on releases it
        if self.items or self._pulling is not None:
            self._waiter = None
            return
        waiter.acquire()

    def _pull(self, offer: _Offer) -> None:
        try:
            chunk = offer.context.run(next, offer.it)
            offer.accept(chunk)
        except StopIteration:
            self._end_offer(offer, None)
        except BaseException as exc:
            self._end_offer(offer, exc)
        else:
            offer.out.append(chunk)

    def _end_offer(self, offer: _Offer, error: BaseException | None) -> None:
        with self._lock:
            if self._pulling is not offer:
                return
            self._pulling = None
        offer.error = error
        offer.done.release()

    def close(self, cleanup: Cleanup | None = None) -> None:
        """The consumer left early: stop the run, and return once it has unwound.

        A sync node waiting for the consumer (its model stream pulled, an item put) gets
        ``RunCancelled`` right there, an async one is cancelled there; otherwise the run's
        task is cancelled, and a sync node busy elsewhere stops at its next chunk or
        write. The run is cancelled once: an async node's cleanup (``finally: await ...``)
        runs on, for up to ``cleanup.grace`` seconds.
        """
        if self._coro is not None:  # never started
            self._coro.close()
            self._coro = None
            return
        with self._lock:
            self._cleanup = cleanup
            self._closing = True
            offer = self._pulling
            owed, self._owed = self._owed, False
        if owed:  # the host waits in put(): it stops there
            self._go.release()
        elif offer is not None:  # the host waits for its model stream: it stops there
            self._end_offer(offer, _STOPPED)
        else:
            loop = self._loop
            if loop is not None:
                try:
                    loop.call_soon_threadsafe(self._cancel_task)
                except RuntimeError:
                    pass  # the loop is closed: the run is over
        self._finished.acquire()
        self._finished.release()
        self.items.clear()
        if cleanup is not None:
            cleanup.report("close()")


def _overran(task: asyncio.Task[Any], cleanup: Cleanup) -> None:
    """The grace of a closed run ran out: cancel what still unwinds, once more."""
    if not task.done():
        cleanup.expire()
        task.cancel()


def _close(it: Iterator[Any]) -> None:
    close = getattr(it, "close", None)
    if close is not None:
        close()


def _adopt(context: contextvars.Context) -> None:
    """Set in the current context what differs in ``context`` (a copy of it, used since)."""
    for var, value in context.items():
        if var.get(_UNSET) is not value:
            var.set(value)


_UNSET = object()
_STOPPED = RunCancelled("the consumer stopped reading the stream")  # see _stop_here()
