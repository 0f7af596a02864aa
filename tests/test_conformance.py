"""The fake Jumpseller's answers conform to the spec as patched by codegen.

Everything runs in-process against :class:`FakeJumpseller` (an ASGI app; no network), with HTTP
Basic credentials (the partner pair on the three partner paths), no rate limits and no latency.

* ``test_operation_answers_conform``: each of the 183 operations is called once with valid seeded
  ids, query and body (reads first, then creates, updates and deletes, children before parents)
  and must answer 2xx with a body that conforms to its patched ``2XX`` schema, checked twice: by
  schemathesis (``response_schema_conformance``, ``content_type_conformance``) and by
  jsonschema-rs on this module's own OpenAPI 3.0 -> JSON Schema (draft 7) conversion, whose
  errors name the instance and schema paths.
* ``test_generated_requests``: schemathesis generates up to MAX_EXAMPLES requests per operation
  (positive data, derandomized; some anchored on existing ids and sane paging). The fake must not
  crash nor answer 5xx or an unexpected status (2xx, or a 400/404/422 JSON error), and every
  answer with a documented status (2XX, the spec's 404 and 400 bodies) must conform.
* Regression tests for what this suite once found: a non-object address crashed the fake, and
  ill-typed writes were stored and echoed back (both now answer 422).

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

from codegen._merge import build_spec
from codegen._spec import iter_operations
from jumpseller_async.testing import ROUTES, FakeJumpseller
from tests._fakebodies import official_route_values, valid_body

Json = Any
Route = tuple[str, str]

EXPECTED_OPERATIONS = 183
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
    patched, _ = build_spec()
    return patched


def _schemas(spec: Json) -> dict[str, Json]:
    schemas: dict[str, Json] = spec["components"]["schemas"]
    return schemas


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
def _converted_components() -> Json:
    return {name: to_json_schema(s) for name, s in _schemas(patched_spec()).items()}


@functools.cache
def body_validator(method: str, path: str) -> Any:
    document = {
        "allOf": [to_json_schema(ok_schema(patched_spec(), method, path))],
        "components": {"schemas": _converted_components()},
    }
    return jsonschema_rs.Draft7Validator(document, validate_formats=True)


def _pointer(parts: list[str | int]) -> str:
    return "/" + "/".join(str(p) for p in parts)


def schema_errors(method: str, path: str, body: Json) -> list[str]:
    """``instance path (schema path): message`` for each way ``body`` breaks the 2XX schema."""
    errors = body_validator(method, path).iter_errors(body)
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
    official = official_route_values(fake, path)
    values = official[0] if official is not None else _id_values(fake, path)
    return {k: v for k, v in values.items() if "{" + k + "}" in path}


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


def official_query(fake: FakeJumpseller, method: str, path: str) -> dict[str, Any]:
    """The query naming existing items for an operation only the official spec has."""
    official = official_route_values(fake, path)
    return dict(official[1]) if official is not None else {}


def _parameters(method: str, path: str) -> list[Json]:
    spec = patched_spec()
    found = []
    for param in spec["paths"][path][method.lower()].get("parameters", []):
        if "$ref" in param:
            param = spec["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        found.append(param)
    return found


# --------------------------------------------------------------------------- schemathesis


@functools.cache
def st_schema() -> Any:
    # An explicit default config: no schemathesis.toml from the environment is picked up.
    return schemathesis.openapi.from_dict(
        copy.deepcopy(patched_spec()), config=schemathesis.Config()
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
        query={**query_values(method, path, limit=100), **official_query(fake, method, path)},
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
        response = case.call(headers=basic_auth(fake, path), app=fake)
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


# --------------------------------------------------------------------------- regressions


def test_a_non_object_address_is_refused_not_a_crash() -> None:
    """The fake once raised AttributeError here (a 500 under a real server)."""
    fake = fresh_fake()
    body = {"customer": {"email": "street@example.com", "shipping_address": "Av. Providencia 1"}}
    case = make_case(fake, "POST", "/customers.json", body)
    response = case.call(headers=basic_auth(fake, "/customers.json"), app=fake)
    assert response.status_code == 422, describe(response)
    assert is_error_body(json.loads(response.content))


ILL_TYPED_WRITES: list[tuple[str, str, Json]] = [
    ("PUT", "/products/{id}.json", {"product": {"name": 42}}),
    ("PUT", "/shipping_methods/{id}.json", {"shipping_method": {"postal": 8320000}}),
    ("POST", "/taxes.json", {"tax": {"name": ["VAT"], "tax_amount": 19.0}}),
]


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
