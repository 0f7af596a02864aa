"""UNSET: the marker for "not given" (distinct from None, which the API uses for empty values).

Defined here rather than in the generated ``api._types`` (which re-exports it), so the core can
check for it without loading any generated module.
"""

from typing import Literal

__all__ = ["UNSET", "Unset"]


class Unset:
    """The type of UNSET: a field or argument that was not given (None means the API's null)."""

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Unset = Unset()
