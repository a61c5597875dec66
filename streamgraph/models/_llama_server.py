"""llama.cpp's HTTP server from the ``xllamacpp`` wheel, run for ``ChatLocal``.

One server runs per distinct :class:`ServerSettings` (in practice: per model file), shared by every
model object that asks for it, started on first use and stopped by :func:`shutdown_servers` or at
interpreter exit.

Each server lives in a child Python process rather than in a thread of this one:

- ``xllamacpp.Server(...)`` holds the GIL while it loads the weights, so an in-process start would
  freeze every other thread and the event loop for the whole load (about a second for the default
  model, longer for larger ones);
- an ``abort()`` inside llama.cpp (a bad file, an assertion) ends the child, not the user's program;
- stopping is a plain process exit, so the port is released for certain.

The child is this very file, run by path through :mod:`runpy`; that is why the module imports only
the standard library at the top (streamgraph's own modules are imported inside the functions that
need them): the child never imports the ``streamgraph`` package. It prints the address it listens
on, then serves until its standard input reaches end of file, which happens when the parent closes
the pipe or dies, so an orphaned server cannot outlive its owner.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from typing import IO, Any, NoReturn

__all__ = [
    "LlamaServer",
    "ServerSettings",
    "aensure_server",
    "default_threads",
    "ensure_server",
    "running_servers",
    "shutdown_servers",
]

PROVIDER = "llamacpp"
"""The provider name reported in errors and in ``ls_provider``."""

_HOST = "127.0.0.1"
_STOP_TIMEOUT = 10.0
_POLL_INTERVAL = 0.05
_STDERR_TAIL = 2000
# Straight to 127.0.0.1: a proxy from HTTP_PROXY / ALL_PROXY must not see (or break) the check.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Runs the file given as argv[1] as __main__ without putting its folder on sys.path (a script run
# by path would get ``streamgraph/models`` first on sys.path, where ``openai.py`` shadows the SDK).
_RUN_FILE = "import runpy, sys; runpy.run_path(sys.argv.pop(1), run_name='__main__')"


def default_threads() -> int:
    """Threads for llama.cpp: half the cores, at least one and at most four.

    On a two-core machine that is one thread, which leaves a core for the Python side (the graph,
    the HTTP client, the consumer of the stream). llama.cpp's threads wait for each other at every
    step, so one that loses its core stalls them all: measured on two busy cores, SmolLM2 streamed
    60-75 tokens/s with one thread and 5-7 with two (on two idle cores: 88 and 138).
    """
    return max(1, min(4, (os.cpu_count() or 1) // 2))


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """Everything that makes one server different from another (it is the registry key)."""

    model_path: str
    """Absolute path of the GGUF file."""
    alias: str
    """The model name the server reports in ``/v1/models`` and in each chunk's ``model``."""
    n_ctx: int = 2048
    """Context window in tokens, shared by the prompt and the reply."""
    n_threads: int = field(default_factory=default_threads)
    """CPU threads for generation and prompt processing."""
    repeat_penalty: float = 1.1
    """Server-side default; tiny models loop on a phrase without it, even at temperature 0."""


class LlamaServer:
    """A running llama.cpp server in a child process; see :func:`ensure_server`."""

    def __init__(
        self,
        settings: ServerSettings,
        process: subprocess.Popen[bytes],
        base_url: str,
        stderr: IO[bytes],
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        """``http://127.0.0.1:<port>``: append ``/v1`` for the OpenAI-compatible API."""
        self._process = process
        self._stderr = stderr
        self._stop_lock = threading.Lock()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<LlamaServer {self.settings.alias} at {self.base_url} ({state})>"

    @property
    def pid(self) -> int:
        """The child process's id."""
        return self._process.pid

    @property
    def running(self) -> bool:
        """Whether the child process is still alive."""
        return self._process.poll() is None

    def stop(self, timeout: float = _STOP_TIMEOUT) -> None:
        """Stop the server and wait for its process to exit (killing it after ``timeout``)."""
        with self._stop_lock:
            _end_process(self._process, timeout)
            self._stderr.close()

    def _forget(self) -> None:
        """In a forked child: drop this process's copies of the pipes, leave the server alone."""
        for pipe in (self._process.stdin, self._process.stdout, self._stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


def _end_process(process: subprocess.Popen[bytes], timeout: float) -> None:
    # Closing stdin is the child's signal to shut down cleanly; kill is only the fallback.
    for pipe in (process.stdin, process.stdout):
        if pipe is not None and not pipe.closed:
            with contextlib.suppress(OSError):  # the child already closed its end
                pipe.close()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --- the registry -----------------------------------------------------------------------------

_lock = threading.Lock()
_servers: dict[ServerSettings, LlamaServer] = {}
_atexit_registered = False


def ensure_server(settings: ServerSettings, *, start_timeout: float = 60.0) -> LlamaServer:
    """Return the running server for ``settings``, starting it first if needed.

    Thread-safe: concurrent callers for the same settings start one server and all get it. A server
    whose process has died is replaced. Starting blocks this thread until the server answers
    ``/health``, for at most ``start_timeout`` seconds.

    Raises ``ProviderConnectionError`` when the server exits during start-up (its last error lines
    are in the message) and ``ProviderTimeoutError`` when it does not come up in time.
    """
    found = _servers.get(settings)
    if found is not None and found.running:
        return found
    global _atexit_registered
    with _lock:
        found = _servers.pop(settings, None)
        if found is not None:
            if found.running:
                _servers[settings] = found
                return found
            found.stop()  # reap the dead process and close its files
        if not _atexit_registered:
            atexit.register(shutdown_servers)
            _atexit_registered = True
        server = _Start(settings, start_timeout).run()
        _servers[settings] = server
        return server


async def aensure_server(settings: ServerSettings, *, start_timeout: float = 60.0) -> LlamaServer:
    """:func:`ensure_server` for async code: a start runs in a worker thread, off the event loop."""
    found = _servers.get(settings)
    if found is not None and found.running:
        return found
    return await asyncio.to_thread(ensure_server, settings, start_timeout=start_timeout)


def running_servers() -> list[LlamaServer]:
    """The servers started by this process that are still running."""
    return [server for server in list(_servers.values()) if server.running]


def shutdown_servers() -> None:
    """Stop every server this process started. Safe to call more than once.

    Calls in flight on those servers fail; the next call on a ``ChatLocal`` starts a new server.
    """
    with _lock:
        servers = list(_servers.values())
        _servers.clear()
    for server in servers:
        server.stop()


def _forget_after_fork() -> None:
    # A forked child must not stop its parent's servers, nor hold their stdin open (which would
    # keep a server alive after its parent died), nor inherit a lock held by another thread.
    global _lock
    _lock = threading.Lock()
    for server in _servers.values():
        server._forget()
    _servers.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


# --- starting one -----------------------------------------------------------------------------


class _Start:
    """One attempt to start a server: the child process and what is needed to explain a failure."""

    def __init__(self, settings: ServerSettings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.timed_out = threading.Event()
        self.stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        command = [sys.executable, "-c", _RUN_FILE, __file__, json.dumps(asdict(settings))]
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr
        )

    def run(self) -> LlamaServer:
        try:
            base_url = self._read_address()
            self._wait_healthy(base_url)
        except BaseException:
            _end_process(self.process, 0.0)
            self.stderr.close()
            raise
        return LlamaServer(self.settings, self.process, base_url, self.stderr)

    def _read_address(self) -> str:
        """The first line the child prints is the address it listens on."""
        assert self.process.stdout is not None
        # A timer kills a child that takes too long, which ends the blocking readline portably.
        timer = threading.Timer(self.timeout, self._kill_for_timeout)
        timer.daemon = True
        timer.start()
        try:
            line = self.process.stdout.readline().decode("utf-8", "replace").strip()
        finally:
            timer.cancel()
        if not line.startswith("http://"):
            self._fail()
        return line

    def _kill_for_timeout(self) -> None:
        self.timed_out.set()
        self.process.kill()

    def _wait_healthy(self, base_url: str) -> None:
        while self.process.poll() is None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                self.timed_out.set()
                break
            try:
                with _DIRECT.open(f"{base_url}/health", timeout=min(remaining, 2.0)) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:  # 503 while the model loads
                error.close()
            except OSError:  # not listening yet
                pass
            time.sleep(_POLL_INTERVAL)
        self._fail()

    def _fail(self) -> NoReturn:
        from streamgraph.errors import ProviderConnectionError, ProviderTimeoutError

        _end_process(self.process, 0.0)
        where = f"llama.cpp's server for {self.settings.model_path}"
        if self.timed_out.is_set():
            raise ProviderTimeoutError(
                f"{where} did not become healthy within {self.timeout:g} s; a large model on a "
                "slow disk may need a larger start_timeout",
                provider=PROVIDER,
            )
        self.stderr.seek(0)
        output = self.stderr.read().decode("utf-8", "replace").strip()[-_STDERR_TAIL:]
        detail = f":\n{output}" if output else " without printing why"
        raise ProviderConnectionError(
            f"{where} exited during start-up with code {self.process.returncode}{detail}",
            provider=PROVIDER,
        )


# --- the child process ------------------------------------------------------------------------


def _serve(settings: dict[str, Any]) -> int:
    """Start the server, print its address, and serve until standard input closes."""
    # A Ctrl-C in a terminal reaches the whole process group; the parent decides when we stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = settings["model_path"]
    params.model_alias = {settings["alias"]}
    params.n_ctx = settings["n_ctx"]
    params.n_parallel = 1
    params.cpuparams.n_threads = settings["n_threads"]
    params.cpuparams_batch.n_threads = settings["n_threads"]
    params.sampling.penalty_repeat = settings["repeat_penalty"]
    params.hostnames = [_HOST]
    params.port = 0  # the OS picks a free port; the address printed below carries it
    params.offline = True  # never reach for a model hub
    params.ui = False
    params.endpoint_slots = False
    params.verbosity = 1  # errors only, so a failed start explains itself on stderr
    try:
        server = xllamacpp.Server(params)
    except Exception as exc:
        print(f"xllamacpp.Server failed: {exc}", file=sys.stderr, flush=True)
        return 1
    print(server.listening_address, flush=True)
    # Nobody reads our stdout from now on: send anything llama.cpp prints there to stderr.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdin.buffer.read()  # returns at end of file: the parent closed the pipe or died
    del server  # stops the HTTP server and the inference loop, then joins their threads
    return 0


if __name__ == "__main__":
    sys.exit(_serve(json.loads(sys.argv[1])))
