"""Hypothesis settings and strategies of arbitrary user values, shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

__all__ = ["fast", "user_values"]


def fast(max_examples: int) -> settings:
    """Bounded, deadline-free settings with no example database."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )


def user_values(
    *, allow_nan: bool, sets: bool
) -> tuple[st.SearchStrategy[Any], st.SearchStrategy[Any], st.SearchStrategy[Any]]:
    """``(scalars, hashables, anything)``: strategies of the values a user might pass.

    ``allow_nan`` lets floats be NaN; ``sets`` adds frozensets to the hashables and sets to
    the containers.
    """
    scalars: st.SearchStrategy[Any] = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-3, max_value=2**70)
        | st.floats(allow_nan=allow_nan)
        | st.text(max_size=4)
        | st.binary(max_size=3)
        | st.complex_numbers(max_magnitude=10)
    )
    hashables: st.SearchStrategy[Any] = scalars | st.tuples(scalars, scalars)
    if sets:
        hashables = hashables | st.frozensets(st.integers(), max_size=2)

    def containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        found: st.SearchStrategy[Any] = (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=4) | hashables, inner, max_size=3)
        )
        return found | st.sets(st.integers(), max_size=2) if sets else found

    anything = st.recursive(scalars, containers, max_leaves=6)
    return scalars, hashables, anything
