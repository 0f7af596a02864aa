"""Which declared keys the dicts of a model lack, learned once per dict length.

The API writes each kind of object with one key set; a model declares a few keys more (fields of
the official spec the store leaves out). A generated ``from_dict`` reads a dict that has every
declared key in one ``itemgetter`` call; for one that lacks some, it asks here, once per dict
length, which ones, and reads the next dict of that length the same way: a dict of that length
that has every key the pattern names has exactly those keys, so the others are known missing and
no key is left over. A dict that does not fit goes field by field, as before.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from ._types import UNSET

__all__ = ["MAX_PATTERNS", "MISSING", "learn_key_pattern"]

# Appended to the values a learned getter reads: every missing field's position points at it.
MISSING = (UNSET,)

# Lengths remembered per model: enough for the shapes one API writes; a hostile stream of
# shapes cannot grow it further.
MAX_PATTERNS = 8


def learn_key_pattern(
    patterns: dict[int, tuple[Any, Any] | None], declared: tuple[str, ...], d: dict[str, Any]
) -> None:
    """Remember, for ``len(d)``, a getter of the declared keys ``d`` has, and a getter that puts
    its values (followed by :data:`MISSING`) in field order, ``UNSET`` where a key is missing.

    The first dict of a length decides for that length. One with a key the model does not
    declare (its extra keys must reach ``additional_properties``) or with fewer than two declared
    keys (a one-key getter answers a bare value, not a tuple) teaches nothing, and its length is
    remembered as such (``None``) so later dicts of that length do not ask again.
    """
    if len(patterns) >= MAX_PATTERNS:
        return
    present = [key for key in declared if key in d]
    if len(present) != len(d) or len(present) < 2:
        patterns[len(d)] = None
        return
    position = {key: i for i, key in enumerate(present)}
    in_field_order = itemgetter(*(position.get(key, len(present)) for key in declared))
    patterns[len(d)] = (itemgetter(*present), in_field_order)
