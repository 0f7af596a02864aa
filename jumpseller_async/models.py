"""Every request and response model (attrs classes), e.g. ``ProductEdit``, ``ProductEditFields``.

Models keep fields the spec does not declare in ``additional_properties`` (they survive
``to_dict()``), accept ``null`` anywhere, and accept enum values the spec does not list.
Each model's module is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api import _models
from .api._models import __all__ as __all__

if TYPE_CHECKING:
    from .api._models import *  # noqa: F403


def __getattr__(name: str) -> Any:
    return getattr(_models, name)


def __dir__() -> list[str]:
    return sorted(__all__)
