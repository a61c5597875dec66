'''Reading a tool's description and argument descriptions from a Google-style docstring.

Only the parts a model needs are read: the summary (everything before the first section
header) and the ``Args:`` section, one ``name: text`` or ``name (type): text`` entry per
argument, with indented continuation lines::

    def search(query: str, limit: int = 5) -> list[str]:
        """Search the web.

        Args:
            query: what to look for.
            limit: how many results to return,
                at most 20.
        """
'''

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

__all__ = ["ParsedDocstring", "parse_docstring"]

_SECTIONS = frozenset(
    {
        "args",
        "arguments",
        "parameters",
        "params",
        "returns",
        "return",
        "yields",
        "raises",
        "examples",
        "example",
        "notes",
        "note",
        "see also",
        "warnings",
        "warning",
        "attributes",
    }
)
_ARG_SECTIONS = frozenset({"args", "arguments", "parameters", "params"})
_ENTRY = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(slots=True)
class ParsedDocstring:
    """The summary of a docstring and the description of each documented argument."""

    summary: str
    args: dict[str, str] = field(default_factory=dict)


def _header(line: str) -> str | None:
    stripped = line.strip()
    if stripped.endswith(":") and stripped[:-1].strip().lower() in _SECTIONS:
        return stripped[:-1].strip().lower()
    return None


def parse_docstring(doc: str | None) -> ParsedDocstring:
    """Split ``doc`` into its summary and the descriptions in its ``Args:`` section."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    entry_indent = 0
    for line in lines:
        header = _header(line) if not line.startswith((" ", "\t")) else None
        if header is not None:
            section, current = header, None
            continue
        if section is None:
            summary.append(line)
            continue
        if section not in _ARG_SECTIONS or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        match = _ENTRY.match(line.strip())
        if match and (current is None or indent <= entry_indent):
            current, entry_indent = match.group(1).lstrip("*"), indent
            args[current] = match.group(2).strip()
        elif current is not None:
            args[current] = f"{args[current]} {line.strip()}".strip()
    return ParsedDocstring(summary="\n".join(summary).strip(), args=args)
