"""The fake Jumpseller's answers conform to the spec as patched by codegen.

Everything runs in-process against :class:`FakeJumpseller` (an ASGI app; no network), with HTTP
Basic credentials (the partner pair on the three partner paths), no rate limits and no latency.

* ``test_operation_answers_conform``: each of the 142 operations is called once with valid seeded
  ids, query and body (reads first, then creates, updates and deletes, children before parents)
  and must answer 2xx with a body that conforms to its patched ``2XX`` schema, checked twice: by
  schemathesis (``response_schema_conformance``, ``content_type_conformance``) and by
  jsonschema-rs on this module's own OpenAPI 3.0 -> JSON Schema (draft 7) conversion, whose
  errors name the instance and schema paths.
* ``test_generated_requests``: schemathesis generates up to MAX_EXAMPLES requests per operation
  (positive data, derandomized; some anchored on existing ids and sane paging). The fake must not
  crash nor answer 5xx or an unexpected status (2xx, or a 400/404/422 JSON error), and every
  answer with a documented status (2XX, the spec's 404 and 400 bodies) must conform.
* What does not conform is listed in DEVIATIONS (answers the patched spec does not describe) and
  KNOWN_CRASHES, plus ill-typed writes; each is a strict xfail. The tests above validate against
  the patched spec with exactly these deviations relaxed, so they stay green while every
  deviation stays visible; once one is fixed its xfail passes, which fails the run until its
  entry is removed.

``nullable`` is read the OpenAPI 3.0 way: ``nullable: true`` admits null besides the schema's
``type``; without it null is not admitted, whatever an ``enum`` lists. A ``nullable`` schema
without a ``type`` (the patch's ``allOf: [$ref]`` + ``nullable`` spelling of a nullable
reference) admits null too, as schemathesis reads it (OpenAPI 3.0.3 would ignore it there).
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from codegen._spec import PatchSet, apply_patchset, iter_operations, load_spec
from jumpseller_async.testing import ROUTES, FakeJumpseller

Json = Any
Route = tuple[str, str]

EXPECTED_OPERATIONS = 142
PARTNER_PATHS = frozenset(
    {"/partners/stores.json", "/store/check_status.json", "/store/create.json"}
)
PARTNER_STORE = {"name": "Existing", "email": "partner@example.com", "currency": "CLP"}
# Statuses a generated request may get besides the documented ones: client errors with a JSON
# error body (page < 1, limit > 100, missing wrapper or field, unknown id or enum value).
CLIENT_ERRORS = frozenset({400, 404, 422})
MAX_EXAMPLES = 5

# --------------------------------------------------------------------------- the spec


@functools.cache
def patched_spec() -> Json:
    patched, _ = apply_patchset(load_spec(), PatchSet.load())
    return patched


def _schemas(spec: Json) -> dict[str, Json]:
    schemas: dict[str, Json] = spec["components"]["schemas"]
    return schemas


def _every_dict(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _every_dict(value)
    elif isinstance(node, list):
        for value in node:
            yield from _every_dict(value)


def _relax_custom_field_values(spec: Json) -> None:
    _schemas(spec)["CustomFieldFields"]["properties"]["values"]["items"] = {}


@dataclass(frozen=True)
class Deviation:
    name: str
    culprit: str
    reason: str
    relax: Callable[[Json], None]


DEVIATIONS = (
    Deviation(
        "custom-field-values-objects",
        "fake",
        "custom_field.values is rendered as [{'id', 'value'}] select options; both specs "
        "declare CustomFieldFields/properties/values as an array of strings",
        _relax_custom_field_values,
    ),
)
DEVIATION_NAMES = frozenset(d.name for d in DEVIATIONS)


@functools.cache
def relaxed_spec(keep: str | None = None) -> Json:
    """The patched spec with every deviation relaxed except ``keep``."""
    assert keep is None or keep in DEVIATION_NAMES
    spec = copy.deepcopy(patched_spec())
    for deviation in DEVIATIONS:
        if deviation.name != keep:
            deviation.relax(spec)
    return spec


def ok_schema(spec: Json, method: str, path: str) -> Json:
    responses = spec["paths"][path][method.lower()]["responses"]
    schema: Json = responses["2XX"]["content"]["application/json"]["schema"]
    return schema


# ------------------------------------------------- OpenAPI 3.0 schema -> JSON Schema draft 7

_SUBSCHEMA = ("items", "additionalProperties", "not")
_SUBSCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_OPENAPI_ONLY = frozenset(
    {
        "nullable",
        "discriminator",
        "example",
        "xml",
        "externalDocs",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)


def to_json_schema(schema: Json) -> Json:
    """One OpenAPI 3.0 schema object as JSON Schema draft 7 (``$ref``s left as they are)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY:
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _SUBSCHEMA and isinstance(value, dict):
            out[key] = to_json_schema(value)
        elif key in _SUBSCHEMA_LISTS and isinstance(value, list):
            out[key] = [to_json_schema(sub) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    if schema.get("nullable") is True:
        if "type" in out:
            out["type"] = [out["type"], "null"]
        else:
            # Only non-null values must match; errors inside stay precise (no anyOf).
            out = {"if": {"type": "null"}, "else": out}
    return out


@functools.cache
def _converted_components(keep: str | None) -> Json:
    return {name: to_json_schema(s) for name, s in _schemas(relaxed_spec(keep)).items()}


@functools.cache
def body_validator(method: str, path: str, keep: str | None = None) -> Any:
    document = {
        "allOf": [to_json_schema(ok_schema(relaxed_spec(keep), method, path))],
        "components": {"schemas": _converted_components(keep)},
    }
    return jsonschema_rs.Draft7Validator(document, validate_formats=True)


def _pointer(parts: list[str | int]) -> str:
    return "/" + "/".join(str(p) for p in parts)


def schema_errors(method: str, path: str, body: Json, keep: str | None = None) -> list[str]:
    """``instance path (schema path): message`` for each way ``body`` breaks the 2XX schema."""
    errors = body_validator(method, path, keep).iter_errors(body)
    found = {
        f"{_pointer(e.instance_path)} ({_pointer(e.schema_path)}): {e.message[:300]}"
        for e in errors
    }
    return sorted(found)


# --------------------------------------------------------------------------- the fake


def fresh_fake() -> FakeJumpseller:
    fake = FakeJumpseller(limits=None, latency=0.0)
    fake.store.partner_stores["existing"] = dict(PARTNER_STORE)
    return fake


def basic_auth(fake: FakeJumpseller, path: str) -> dict[str, str]:
    pair = (
        (fake.partner_code, fake.partner_auth_token)
        if path in PARTNER_PATHS
        else (fake.login, fake.authtoken)
    )
    token = base64.b64encode(":".join(pair).encode()).decode()
    return {"Authorization": f"Basic {token}"}


_PRODUCT_SUBRESOURCES = {
    "variants": ("variants", "variant_id"),
    "images": ("images", "image_id"),
    "attachments": ("_attachments", "attachment_id"),
    "digital_products": ("digital_products", "digital_product_id"),
    "fields": ("_fields", "field_id"),
    "options": ("_options", "option_id"),
}


def path_values(fake: FakeJumpseller, path: str) -> dict[str, Any]:
    """Values naming existing items for the parameters of ``path``."""
    return {k: v for k, v in _id_values(fake, path).items() if "{" + k + "}" in path}


def _id_values(fake: FakeJumpseller, path: str) -> dict[str, Any]:
    store = fake.store
    parts = path.split("/")
    if parts[1] == "products" and len(parts) > 3 and parts[2] in ("{id}", "{product_id}"):
        key, name = _PRODUCT_SUBRESOURCES[parts[3].removesuffix(".json")]
        product = next(
            p for p in store.products if p[key] and (key != "_options" or p[key][0]["values"])
        )
        item = product[key][0]
        values = {"id": product["id"], "product_id": product["id"], name: item["id"]}
        if key == "_options":
            values["value_id"] = item["values"][0]["id"]
        return values
    if parts[1] == "products":
        return {
            "id": store.products.ids[3],
            "category_id": store.categories.ids[0],
            "status": "available",
        }
    if parts[1] == "customers":
        customer = next(c for c in store.customers if c["_fields"])
        return {
            "id": customer["id"],
            "field_id": customer["_fields"][0]["id"],
            "email": customer["email"],
        }
    if parts[1] == "custom_fields":
        field = next(f for f in store.custom_fields if f["_options"])
        return {"id": field["id"], "custom_field_select_option_id": field["_options"][0]["id"]}
    if parts[1] == "countries":
        return {"country_code": "CL", "region_code": "RM"}
    if parts[1] == "jsapps":
        return {"code": "reviews-widget"}
    if parts[1] in ("orders", "order"):
        return {"id": store.orders.ids[0], "status": "Paid"}
    if "{id}" in path:
        return {"id": getattr(store, parts[1]).ids[0]}
    return {}


def query_values(method: str, path: str, *, limit: int) -> dict[str, Any]:
    """Valid values for the query parameters of an operation: required ones and paging."""
    values = {
        "page": 1,
        "limit": limit,
        "query": "a",
        "from": "2025-01-01",
        "to": "2025-01-31",
        "store_code": "existing",
    }
    declared = {p["name"] for p in _parameters(method, path) if p.get("in") == "query"}
    return {name: value for name, value in values.items() if name in declared}


def _parameters(method: str, path: str) -> list[Json]:
    spec = patched_spec()
    found = []
    for param in spec["paths"][path][method.lower()].get("parameters", []):
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        found.append(param)
    return found


def valid_body(fake: FakeJumpseller, path: str) -> Json:
    store = fake.store
    customer_id = store.customers.ids[1]
    bodies: dict[str, Json] = {
        "/categories.json": {"category": {"name": "New category"}},
        "/categories/{id}.json": {"category": {"name": "Renamed"}},
        "/checkout_custom_fields.json": {
            "checkout_custom_field": {"label": "Delivery day", "type": "date", "area": "other"}
        },
        "/checkout_custom_fields/{id}.json": {"checkout_custom_field": {"required": True}},
        "/custom_fields.json": {"custom_field": {"label": "Origin", "type": "text"}},
        "/custom_fields/{id}.json": {"custom_field": {"label": "Origin country"}},
        "/custom_fields/{id}/select_options.json": {
            "custom_field_select_option": {"value": "Oversized"}
        },
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json": {
            "custom_field_select_option": {"value": "Skinny"}
        },
        "/customer_categories.json": {"category": {"name": "Resellers"}},
        "/customer_categories/{id}.json": {"category": {"name": "Premium"}},
        "/customer_categories/{id}/customers.json": {"customers": [{"id": customer_id}]},
        "/customers.json": {"customer": {"email": "new.buyer@example.com", "password": "secret"}},
        "/customers/{id}.json": {"customer": {"phone": "912345678"}},
        "/customers/{id}/fields": {
            "customer_additional_field": {"checkout_custom_field_id": 3002, "value": "Ring twice"}
        },
        "/customers/{id}/fields/{field_id}": {"customer_additional_field": {"value": "11111111-1"}},
        "/hooks.json": {"hook": {"event": "order_paid", "url": "https://example.com/paid"}},
        "/hooks/{id}.json": {"hook": {"url": "https://example.com/changed"}},
        "/jsapps.json": {
            "app": {"url": "https://example.com/a.js", "template": "layout", "element": "body"}
        },
        "/orders.json": {
            "order": {
                "status": "Paid",
                "products": [{"id": store.products.ids[0], "qty": 2}],
                "customer": {"id": customer_id},
            }
        },
        "/orders/{id}.json": {"order": {"status": "Canceled"}},
        "/orders/{id}/history.json": {"order_history": {"message": "Called the customer"}},
        "/pages.json": {"page": {"title": "Returns"}},
        "/pages/{id}.json": {"page": {"status": "draft"}},
        "/products.json": {"product": {"name": "Linen Shirt", "price": 30.0}},
        "/products/{id}.json": {"product": {"price": 12.5}},
        "/products/{id}/attachments.json": {
            "attachment": {"url": "https://example.com/manual.pdf"}
        },
        "/products/{id}/digital_products.json": {
            "digital_product": {"url": "https://example.com/book.pdf"}
        },
        "/products/{id}/fields.json": {"field": {"id": 4001, "value": "Wool"}},
        "/products/{product_id}/fields/{field_id}.json": {"field": {"value": "Silk"}},
        "/products/{id}/images.json": {"image": {"url": "https://example.com/front.jpg"}},
        "/products/{id}/options.json": {"option": {"name": "Engraving", "option_type": "input"}},
        "/products/{id}/options/{option_id}.json": {"option": {"name": "Talla"}},
        "/products/{id}/options/{option_id}/values.json": {"value": {"name": "5XL"}},
        "/products/{id}/options/{option_id}/values/{value_id}.json": {"value": {"name": "Tiny"}},
        "/products/{id}/variants.json": {"variant": {"price": 9.99, "sku": "NEW-1", "stock": 3}},
        "/products/{id}/variants/{variant_id}.json": {"variant": {"stock": 7}},
        "/promotions.json": {"promotion": {"name": "Summer", "code": "SUMMER"}},
        "/promotions/{id}.json": {"promotion": {"enabled": False}},
        "/shipping_methods.json": {"shipping_method": {"name": "Courier"}},
        "/shipping_methods/{id}.json": {"shipping_method": {"enabled": False}},
        "/store/create.json": {
            "store_name": "Tienda Nueva",
            "email": "owner@example.com",
            "password": "pw",
        },
        "/taxes.json": {"tax": {"name": "Luxury", "tax": 5.0, "country": "CL"}},
    }
    return bodies[path]


# --------------------------------------------------------------------------- schemathesis


@functools.cache
def st_schema() -> Any:
    # An explicit default config: no schemathesis.toml from the environment is picked up.
    return schemathesis.openapi.from_dict(
        copy.deepcopy(relaxed_spec()), config=schemathesis.Config()
    )


def st_operation(method: str, path: str) -> Any:
    return st_schema()[path][method]


# 5xx; the body of a documented status (2XX, the spec's 404 and 400) against its schema.
SCHEMATHESIS_CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def has_body(method: str, path: str) -> bool:
    return "requestBody" in patched_spec()["paths"][path][method.lower()]


def make_case(fake: FakeJumpseller, method: str, path: str, body: Json = NOT_SET) -> Any:
    """A request naming existing items; with the operation's valid body unless one is given."""
    if body is NOT_SET and has_body(method, path):
        body = valid_body(fake, path)
    return st_operation(method, path).Case(
        path_parameters=path_values(fake, path),
        query=query_values(method, path, limit=100),
        body=body,
        media_type=None if body is NOT_SET else "application/json",
    )


def is_error_body(body: Json) -> bool:
    """{"message": ...}, {"errors": [...]} or the partner API's {"error": true, "field", "message"}."""
    if not isinstance(body, dict):
        return False
    message, errors = body.get("message"), body.get("errors")
    if isinstance(message, str) and message:
        return True
    return isinstance(errors, list) and bool(errors) and all(isinstance(e, str) for e in errors)


def describe(response: Any) -> str:
    request = response.request
    sent = f" {request.body!r:.300}" if request.body else ""
    return f"{request.method} {request.url}{sent} -> {response.status_code} {response.text[:300]}"


def _route_id(route: Route) -> str:
    return f"{route[0]} {route[1]}"


OPERATIONS: list[Route] = sorted(ROUTES, key=lambda r: (r[1], r[0]))
_METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "DELETE": 3}
# Reads first, then creates, updates and deletes; children deleted before their parents.
SWEEP_ORDER: list[Route] = sorted(ROUTES, key=lambda r: (_METHOD_ORDER[r[0]], -len(r[1]), r[1]))


# --------------------------------------------------------------------------- every operation


@dataclass
class Answer:
    case: Any
    response: Any

    def body(self) -> Json:
        return json.loads(self.response.content)


@pytest.fixture(scope="module")
def sweep() -> dict[Route, Answer]:
    """Every operation called once, with valid ids, query and body, against one fake."""
    fake = fresh_fake()
    answers: dict[Route, Answer] = {}
    for method, path in SWEEP_ORDER:
        case = make_case(fake, method, path)
        answers[(method, path)] = Answer(case, case.call(headers=basic_auth(fake, path), app=fake))
    return answers


def test_the_fake_serves_exactly_the_specified_operations() -> None:
    specified = {(m.upper(), p) for p, m, _ in iter_operations(patched_spec())}
    assert len(specified) == EXPECTED_OPERATIONS
    assert set(ROUTES) == specified
    assert len(list(st_schema().get_all_operations())) == EXPECTED_OPERATIONS


@pytest.mark.parametrize("route", OPERATIONS, ids=_route_id)
def test_operation_answers_conform(sweep: dict[Route, Answer], route: Route) -> None:
    answer = sweep[route]
    assert 200 <= answer.response.status_code < 300, describe(answer.response)
    errors = schema_errors(*route, answer.body())
    assert not errors, describe(answer.response) + "\n" + "\n".join(errors[:20])
    answer.case.validate_response(answer.response, checks=SCHEMATHESIS_CHECKS)


# --------------------------------------------------------------------------- generated requests


@dataclass(frozen=True)
class KnownCrash:
    """A fake bug that raises out of a route handler (a 500 under a real server)."""

    name: str
    exception: type[Exception]
    function: str
    """The fake's function the exception is raised in."""
    method: str
    path: str
    body: Json
    reason: str


KNOWN_CRASHES = (
    KnownCrash(
        "customer-address-not-an-object",
        AttributeError,
        "_prepare_customer",
        "POST",
        "/customers.json",
        {"customer": {"email": "street@example.com", "shipping_address": "Av. Providencia 1"}},
        "fake: creating (or updating) a customer without fullname whose shipping_address is "
        "not an object (a string, number or list; ShippingAddress declares no type, so the "
        "patched spec allows it) raises AttributeError in _prepare_customer "
        "(address.get) instead of answering 4xx",
    ),
)


def known_crash(exc: Exception) -> KnownCrash | None:
    where = traceback.extract_tb(exc.__traceback__)[-1].name
    for crash in KNOWN_CRASHES:
        if isinstance(exc, crash.exception) and where == crash.function:
            return crash
    return None


HYPOTHESIS_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


def generated_cases(fake: FakeJumpseller, method: str, path: str) -> st.SearchStrategy[Any]:
    """Fully generated requests, and requests whose ids and paging name existing items."""
    operation = st_operation(method, path)
    anchored = operation.as_strategy(
        path_parameters=path_values(fake, path) or None,
        query=query_values(method, path, limit=5) or None,
    )
    return st.one_of(operation.as_strategy(), anchored)


@pytest.mark.parametrize("route", OPERATIONS, ids=_route_id)
def test_generated_requests(route: Route) -> None:
    method, path = route
    fake = fresh_fake()
    statuses: list[int] = []

    @HYPOTHESIS_SETTINGS
    @given(case=generated_cases(fake, method, path))
    def check(case: Any) -> None:
        try:
            response = case.call(headers=basic_auth(fake, path), app=fake)
        except Exception as exc:
            if known_crash(exc) is not None:
                return  # shown by test_known_crash
            raise
        status = response.status_code
        statuses.append(status)
        assert 200 <= status < 300 or status in CLIENT_ERRORS, describe(response)
        case.validate_response(response, checks=SCHEMATHESIS_CHECKS)
        body = json.loads(response.content)
        if 200 <= status < 300:
            errors = schema_errors(method, path, body)
            assert not errors, describe(response) + "\n" + "\n".join(errors[:20])
        else:
            assert is_error_body(body), describe(response)

    check()
    assert statuses, "no request was answered"


# --------------------------------------------------------------------------- what does not conform


def _xfail(culprit_reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=culprit_reason)


@pytest.mark.parametrize(
    "deviation",
    [pytest.param(d, id=d.name, marks=_xfail(f"{d.culprit}: {d.reason}")) for d in DEVIATIONS],
)
def test_known_deviation(sweep: dict[Route, Answer], deviation: Deviation) -> None:
    """The sweep's answers against the spec with every deviation relaxed but this one."""
    found = [
        f"{method} {path}: {error}"
        for (method, path), answer in sweep.items()
        for error in schema_errors(method, path, answer.body(), keep=deviation.name)
    ]
    assert not found, "\n".join(found[:10])


@pytest.mark.parametrize(
    "crash", [pytest.param(c, id=c.name, marks=_xfail(c.reason)) for c in KNOWN_CRASHES]
)
def test_known_crash(crash: KnownCrash) -> None:
    """The request answers: a 4xx error, or a 2xx that conforms."""
    fake = fresh_fake()
    case = make_case(fake, crash.method, crash.path, crash.body)
    response = case.call(headers=basic_auth(fake, crash.path), app=fake)
    body = json.loads(response.content)
    if 200 <= response.status_code < 300:
        assert not schema_errors(crash.method, crash.path, body), describe(response)
    else:
        assert 400 <= response.status_code < 500, describe(response)
        assert is_error_body(body), describe(response)


# Writes with values of the wrong type (schemathesis' negative mode finds ~30 write operations
# doing this); a few representatives.
ILL_TYPED_WRITES: list[tuple[str, str, Json]] = [
    ("PUT", "/products/{id}.json", {"product": {"name": 42}}),
    ("PUT", "/shipping_methods/{id}.json", {"shipping_method": {"postal": 8320000}}),
    ("POST", "/taxes.json", {"tax": {"name": ["VAT"], "tax_amount": 19.0}}),
]


@_xfail(
    "fake: writes store values of the wrong type as sent and echo them in a 2xx answer "
    "(product name 42, shipping_method postal 8320000, tax name ['VAT']) instead of "
    "refusing them with 4xx (or converting them)"
)
def test_ill_typed_writes_are_refused_or_converted() -> None:
    fake = fresh_fake()
    wrong = []
    for method, path, body in ILL_TYPED_WRITES:
        case = make_case(fake, method, path, body)
        response = case.call(headers=basic_auth(fake, path), app=fake)
        status, answer = response.status_code, json.loads(response.content)
        refused = 400 <= status < 500 and is_error_body(answer)
        converted = 200 <= status < 300 and not schema_errors(method, path, answer)
        if not (refused or converted):
            wrong.append(describe(response))
    assert not wrong, "\n".join(wrong)
