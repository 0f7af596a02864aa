"""UNSET: the marker for "not given" (distinct from None, which the API uses for empty values)."""

from .api._types import UNSET, Unset

__all__ = ["UNSET", "Unset"]
