"""The one JSON decoder for response bodies: orjson when installed (``[speed]``), else ``json``.

orjson is used only where it gives exactly what ``json.loads`` gives. It refuses NaN/Infinity,
lone surrogates and a BOM, which ``json`` accepts: those bodies go to ``json``, so the result
never depends on which decoder is installed. It also turns integers outside the 64-bit range
into floats, silently; a body with a run of 19 or more digits (where such integers hide) goes
to ``json`` too, so an integer never becomes a float.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # the [speed] extra is optional
    orjson = None  # type: ignore[assignment]

__all__ = ["HAVE_ORJSON", "loads"]

HAVE_ORJSON = orjson is not None

# Every digit becomes "0", everything else a space: a long integer is then a run of "0"s.
_DIGITS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_LONG_NUMBER = b"0" * 19  # 2**63 has 19 digits: orjson keeps every shorter integer exact


def loads(content: bytes | str) -> Any:
    """Decode a JSON response body; ``ValueError`` for what is not JSON, including JSON nested
    deeper than the decoder's stack."""
    try:
        return _decode(content)
    except RecursionError:
        # The decoder unwinds cleanly; the body is hostile or broken, not our bug.
        raise ValueError("JSON nested too deeply to decode") from None


def _decode(content: bytes | str) -> Any:
    if orjson is None:
        return json.loads(content)
    data = content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    if _LONG_NUMBER in data.translate(_DIGITS):
        return json.loads(content)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        # Refused (NaN, a lone surrogate, a BOM, too deep, bad JSON): json decides, and raises
        # its own error.
        return json.loads(content)
