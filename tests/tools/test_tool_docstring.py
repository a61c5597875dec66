"""Google-style docstring parsing for tool descriptions."""

from __future__ import annotations

from streamgraph.tools.docstring import parse_docstring


def test_summary_and_args() -> None:
    parsed = parse_docstring(
        """Fetch a page.

        Longer text about it.

        Args:
            url (str): the address.
            timeout: seconds to wait,
                including redirects.
            **headers: extra headers.

        Raises:
            ValueError: never.
        """
    )
    assert parsed.summary == "Fetch a page.\n\nLonger text about it."
    assert parsed.args == {
        "url": "the address.",
        "timeout": "seconds to wait, including redirects.",
        "headers": "extra headers.",
    }


def test_no_docstring() -> None:
    parsed = parse_docstring(None)
    assert parsed.summary == ""
    assert parsed.args == {}


def test_docstring_without_sections() -> None:
    assert parse_docstring("Just this.").summary == "Just this."


def test_colon_in_a_continuation_line_stays_in_the_description() -> None:
    parsed = parse_docstring(
        """Do.

        Args:
            mode: one of
                fast: quick
            other: x
        """
    )
    assert parsed.args == {"mode": "one of fast: quick", "other": "x"}
