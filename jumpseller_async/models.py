"""Every request and response model (attrs classes), e.g. ``ProductEdit``, ``ProductEditFields``.

Models keep fields the spec does not declare in ``additional_properties`` (they survive
``to_dict()``), accept ``null`` anywhere, and accept enum values the spec does not list.
"""

from .api._models import *  # noqa: F403
from .api._models import __all__ as __all__
