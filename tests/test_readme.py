"""Every Python snippet in the README runs, offline, and prints what it says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
SNIPPETS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_has_snippets() -> None:
    assert len(SNIPPETS) >= 3


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_readme_snippet_runs(index: int, tmp_path: Path) -> None:
    script = tmp_path / f"snippet_{index}.py"
    script.write_text(SNIPPETS[index])
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(README.parent)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "a README snippet should show its result"


_EXTRAS = {"anthropic": "anthropic", "openai": "openai", "langchain_core": "langchain"}
"""Top-level modules a snippet may import, and the extra that installs each."""
_MODELS = {"ChatAnthropic": "anthropic", "ChatOpenAI": "openai", "ChatLocal": "local"}
"""Our model classes that stand on an extra's SDK."""


@pytest.mark.parametrize("index", range(len(SNIPPETS)))
def test_a_snippet_says_which_extra_it_needs(index: int) -> None:
    snippet = SNIPPETS[index]
    imported = set(re.findall(r"^(?:from|import) (\w+)", snippet, flags=re.M))
    needed_by = {_EXTRAS[m] for m in imported if m in _EXTRAS}
    needed_by |= {extra for name, extra in _MODELS.items() if re.search(rf"\b{name}\b", snippet)}
    needed = sorted(needed_by)
    said = re.findall(r"^# needs: pip install '\.\[(\w+)\]'$", snippet, flags=re.M)
    assert said == needed, f"snippet {index} imports {sorted(imported)}"


def test_the_agent_snippet_prints_the_tool_result_apart_from_the_answer(tmp_path: Path) -> None:
    text = README.read_text()
    [(snippet, shown)] = re.findall(
        r"```python\n([^`]*?create_react_agent[^`]*?)```\n\nIt prints:\n\n```\n(.*?)```",
        text,
        flags=re.S,
    )
    script = tmp_path / "agent.py"
    script.write_text(snippet)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(README.parent)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout == shown
