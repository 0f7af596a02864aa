"""Body types: a value of the wrong JSON type is refused with 422, never stored nor crashed on.

:func:`_typechecked` puts a handler behind the check of its body against the spec's field
types (``_fieldtypes``); the other helpers let handlers refuse the nested values they read.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

from .._fieldtypes import BODIES, FIELD_TYPES
from .._http import Handler, HTTPError, Request, Response
from .._store import Record
from ._base import PARTNER_PATHS

_ARTICLES = {"integer": "an integer", "object": "an object", "array": "an array"}


def _must_be(expected: str) -> str:
    return f"must be {_ARTICLES.get(expected, 'a ' + expected)}"


def _typed(value: Any, expected: str) -> bool:
    """Whether ``value`` has the JSON type ``expected``.

    Null always does (the API uses it for empty), and so does "" (stored as null).
    """
    if value is None or (isinstance(value, str) and value == ""):
        return True
    if expected == "string":
        return isinstance(value, str)
    if expected == "boolean":
        return isinstance(value, bool)
    if expected == "object":
        return isinstance(value, dict)
    if expected == "array":
        return isinstance(value, list)
    if isinstance(value, bool):
        return False
    if expected == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if expected == "number":
        return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))
    return True  # a type this table does not know: nothing to check


def _type_errors(
    fields: Record, types: Mapping[str, str], prefix: str = ""
) -> dict[str, list[str]]:
    """``{field: [message]}`` for each field of a declared type that ``fields`` breaks.

    Integer fields sent as integral floats (``3.0``) are accepted and stored as integers.
    """
    errors: dict[str, list[str]] = {}
    for key, value in fields.items():
        expected = types.get(key)
        if expected is None or str(key).startswith("_"):
            continue  # undeclared fields are stored as sent: the real API grows fields
        if not _typed(value, expected):
            errors[f"{prefix}{key}"] = [_must_be(expected)]
        elif expected == "integer" and isinstance(value, float):
            fields[key] = int(value)
    return errors


def _unprocessable(errors: Mapping[str, list[str]]) -> HTTPError:
    message = "; ".join(f"{field} {problems[0]}" for field, problems in errors.items())
    return HTTPError(422, message, {"message": message, "errors": dict(errors)})


def _expect(value: Any, expected: str, field: str) -> None:
    """Refuse (422) one nested value a handler reads that is not of the ``expected`` type."""
    if not _typed(value, expected):
        raise _unprocessable({field: [_must_be(expected)]})


def _number(value: Any, field: str, default: float = 0.0) -> float:
    _expect(value, "number", field)
    return default if value is None or value == "" else float(value)


# Wrapper keys handlers accept besides the spec's own (the names live clients also send).
_WRAPPER_ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("POST", "/customer_categories.json"): ("customer_category",),
    ("PUT", "/customer_categories/{id}.json"): ("customer_category",),
    ("POST", "/jsapps.json"): ("js_app",),
    ("POST", "/fulfillments.json"): ("order_fulfillment",),
    ("PUT", "/fulfillments/{id}.json"): ("order_fulfillment",),
}


def _typechecked(method: str, path: str, handler: Handler) -> Handler:
    """``handler`` behind a check of its body's field types against the spec (``_fieldtypes``).

    The check runs before the handler, so a refused write stores nothing. Partner paths
    check their own (their errors have another shape).
    """
    found = BODIES.get((method, path))
    if found is None or path in PARTNER_PATHS:
        return handler
    wrapper, schema = found
    types = FIELD_TYPES[schema]
    keys = (wrapper, *_WRAPPER_ALIASES.get((method, path), ())) if wrapper else ()

    @functools.wraps(handler)
    def checked(req: Request) -> Response:
        body = req.body
        if isinstance(body, dict):
            errors: dict[str, list[str]] = {}
            if keys:
                for key in keys:
                    inner = body.get(key)
                    if isinstance(inner, dict):
                        errors.update(_type_errors(inner, types))
            else:
                errors.update(_type_errors(body, types))
            if errors:
                raise _unprocessable(errors)
        return handler(req)

    return checked
