"""Every generated operation, end to end against httpx.MockTransport (never the network).

For each of the 142 operations (found by walking ``jumpseller_async.api``): the request it sends
(method, escaped path, exact query, JSON body, Basic credentials), the parse of a realistic
answer (the official spec's example or a value synthesized from its schema) with nothing
dropped, the same request through ``client.<tag>.<operation>``, and tolerance of ``null`` in
every place. Error mapping is checked on one operation per family (method and answer shape).
Samples and expectations are built in ``tests/_opsamples.py``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from codegen._spec import iter_operations
from jumpseller_async import JumpsellerClient
from jumpseller_async.errors import (
    APIError,
    NotFoundError,
    ResponseParseError,
    ServerError,
)
from tests._opsamples import (
    EXPECTED_OPERATION_COUNT,
    MAX_PAGE_SIZE,
    OpCase,
    all_cases,
    discover_operations,
    json_keys,
    null_variants,
    patched_spec,
    raw_dict_fallbacks,
    to_plain,
    unset_free,
)

LOGIN = "storelogin42"
TOKEN = "f00dfeedcafe0123456789abcdef0123"
BASIC = "Basic " + base64.b64encode(f"{LOGIN}:{TOKEN}".encode()).decode()
BASE_PATH = "/v1"

CASES = all_cases()
BY_TOOL = {case.tool: case for case in CASES}

# --------------------------------------------------------------------------- known bugs

BUG_PUT_FIELD_VALUE_HAS_NO_BODY = (
    "PUT /products/{product_id}/fields/{field_id}.json takes no body: the official spec requires "
    "an UpdateProductCustomField JSON body (the new value), the apis.guru spec omits it and the "
    "patch set does not add it, so the operation can only send an empty PUT"
)
BUG_DELETE_JSAPP_RETURNS_DICT_AS_STR = (
    "DELETE /jsapps/{code}.json answers {\"message\": \"JsApp deleted\"} (official example) but the "
    "generated parser does cast(str, response.json()): asyncio() returns a dict typed as str"
)
BUG_LIST_ACCEPTS_NON_LIST = (
    "list operations iterate whatever JSON comes back: a 2xx object {\"category\": {...}} parses as "
    "['category'] and a string as its characters, instead of raising ResponseParseError"
)

PARSE_XFAILS = {"apps.deleteJsappsCodeJson": BUG_DELETE_JSAPP_RETURNS_DICT_AS_STR}


def params(
    cases: Iterable[OpCase], xfails: dict[str, str] | None = None
) -> list[Any]:
    """pytest params with the tool name as id, strict xfail for the known bugs."""
    out = []
    for case in cases:
        reason = (xfails or {}).get(case.tool)
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(case, id=case.tool, marks=marks))
    return out


def families() -> list[OpCase]:
    """One operation per (method, answer shape), plus the ones with unusual parameters."""
    picked: dict[tuple[str, bool, bool], OpCase] = {}
    for case in CASES:
        picked.setdefault((case.method, case.returns_list, case.returns_model), case)
    extra = [
        "products.getProductsIdJson",
        "customers.getCustomersEmailEmailJson",
        "orders.getOrdersStatusStatusJson",
        "partners.getStoreCheckStatusJson",
        "products.putProductsIdJson",
        "products.getProductsCountJson",
    ]
    chosen = {case.tool: case for case in picked.values()}
    for tool in extra:
        chosen[tool] = BY_TOOL[tool]
    return sorted(chosen.values(), key=lambda c: c.tool)


FAMILIES = families()
MODEL_CASES = [case for case in CASES if case.returns_model]
BODY_METHODS = ("POST", "PUT")

# --------------------------------------------------------------------------- plumbing


class Recorder:
    """A MockTransport handler answering a fixed response and keeping every request."""

    def __init__(self, status: int = 200, *, json_body: Any = None, content: bytes | None = None,
                 headers: dict[str, str] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.headers = headers or {}
        if content is None:
            content = json.dumps(json_body).encode()
            self.headers.setdefault("Content-Type", "application/json")
        self.content = content

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, content=self.content, headers=self.headers)

    @property
    def only(self) -> httpx.Request:
        assert len(self.requests) == 1, f"expected exactly one request, got {len(self.requests)}"
        return self.requests[0]


@asynccontextmanager
async def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> AsyncIterator[JumpsellerClient]:
    client = JumpsellerClient(LOGIN, TOKEN, transport=httpx.MockTransport(handler), rate_limits=None)
    try:
        yield client
    finally:
        await client.aclose()


async def call(case: OpCase, client: JumpsellerClient, *, detailed: bool = False, minimal: bool = False) -> Any:
    function = case.module.asyncio_detailed if detailed else case.module.asyncio
    return await function(*case.path_args, client=client, **case.call_kwargs(minimal=minimal))


def ok_status(case: OpCase) -> int:
    return 201 if case.method == "POST" else 200


def escaped_path(request: httpx.Request) -> str:
    return request.url.raw_path.split(b"?", 1)[0].decode("ascii")


def assert_request(case: OpCase, request: httpx.Request, expected_query: dict[str, str]) -> None:
    assert request.method == case.method
    assert request.url.scheme == "https"
    assert request.url.host == "api.jumpseller.com"
    assert escaped_path(request) == BASE_PATH + case.expected_path
    assert sorted(request.url.params.multi_items()) == sorted(expected_query.items())
    # Credentials travel as HTTP Basic, never in the URL.
    assert request.headers["Authorization"] == BASIC
    for secret in ("login", "authtoken", "auth_token", "partner_code"):
        assert secret not in request.url.params
    assert TOKEN not in str(request.url)
    assert LOGIN not in str(request.url)
    if case.body is None:
        assert request.content == b""
        assert "Content-Type" not in request.headers
    else:
        assert request.headers["Content-Type"] == "application/json"
        sent = json.loads(request.content)
        assert sent == case.expected_body, "the body is not exactly the fields that were set"
        assert sent == case.body.to_dict()


# --------------------------------------------------------------------------- discovery


def test_every_operation_is_discovered() -> None:
    modules = discover_operations()
    assert len(modules) == EXPECTED_OPERATION_COUNT
    assert len(CASES) == EXPECTED_OPERATION_COUNT
    assert len({case.tool for case in CASES}) == EXPECTED_OPERATION_COUNT
    in_spec = {(method.upper(), path) for path, method, _ in iter_operations(patched_spec())}
    assert len(in_spec) == EXPECTED_OPERATION_COUNT
    assert {(case.method, case.path) for case in CASES} == in_spec


def test_samples_cover_the_interesting_cases() -> None:
    """Guards the sample builder itself: escaping, enums, body shapes and answer sources."""
    email = BY_TOOL["customers.getCustomersEmailEmailJson"]
    assert email.path_args == ["ana+shop test@example.com"]
    assert email.expected_path == "/customers/email/ana%2Bshop%20test%40example.com.json"
    status = BY_TOOL["orders.getOrdersStatusStatusJson"]
    assert status.expected_path == "/orders/status/Pending%20Payment.json"
    products = BY_TOOL["products.getProductsJson"]
    assert products.expected_query == {"limit": str(MAX_PAGE_SIZE), "page": "2", "locale": "es"}
    assert products.expected_required_query == {}
    assert BY_TOOL["partners.getPartnersStoresJson"].expected_query["from"] == "2024-01-01"
    put = BY_TOOL["products.putProductsIdJson"]
    assert put.expected_body == {"product": {"name": "Camisa Roja", "price": 9.5, "status": "not-available"}}
    sources = {case.sample_source for case in CASES}
    assert {"official example", "official schema", "patched schema"} <= sources
    assert all(case.sample is not None for case in CASES)


# --------------------------------------------------------------------------- requests


@pytest.mark.parametrize("case", params(CASES))
async def test_request(case: OpCase) -> None:
    recorder = Recorder(ok_status(case), json_body=case.sample)
    async with client_for(recorder) as client:
        response = await call(case, client, detailed=True)
    assert response.status_code == ok_status(case)
    assert response.operation is case.module.OPERATION
    assert_request(case, recorder.only, case.expected_query)


@pytest.mark.parametrize("case", params(CASES))
async def test_request_without_optional_arguments_sends_no_defaults(case: OpCase) -> None:
    recorder = Recorder(200, json_body=case.sample)
    async with client_for(recorder) as client:
        await call(case, client, detailed=True, minimal=True)
    assert_request(case, recorder.only, case.expected_required_query)


async def test_get_products_json_without_arguments_sends_no_limit_or_page() -> None:
    from jumpseller_async.api.products import get_products_json

    recorder = Recorder(200, json_body=[])
    async with client_for(recorder) as client:
        assert await get_products_json.asyncio(client=client) == []
    request = recorder.only
    assert request.url.raw_path == b"/v1/products.json"
    assert request.url.query == b""


@pytest.mark.parametrize("case", params(CASES))
async def test_namespace_sends_the_same_request(case: OpCase) -> None:
    direct, via_namespace = Recorder(200, json_body=case.sample), Recorder(200, json_body=case.sample)
    async with client_for(direct) as client:
        expected = await call(case, client)
    async with client_for(via_namespace) as client:
        method = getattr(getattr(client, case.tag), case.name)
        got = await method(*case.path_args, **case.call_kwargs())
    a, b = direct.only, via_namespace.only
    assert (b.method, b.url.raw_path, b.content) == (a.method, a.url.raw_path, a.content)
    assert b.headers.get("Content-Type") == a.headers.get("Content-Type")
    assert b.headers["Authorization"] == BASIC
    assert to_plain(got) == to_plain(expected)


BODY_CASES = [case for case in CASES if case.method in BODY_METHODS]


@pytest.mark.parametrize(
    "case", params(BODY_CASES, {"productCustomFields.putProductsProductIdFieldsFieldIdJson": BUG_PUT_FIELD_VALUE_HAS_NO_BODY})
)
def test_create_and_update_operations_take_a_json_body(case: OpCase) -> None:
    assert case.body is not None, f"{case.tool} ({case.method} {case.path}) has no body argument"


# --------------------------------------------------------------------------- parsing


def assert_parsed(case: OpCase, result: Any) -> None:
    if case.returns_list:
        assert isinstance(result, list)
        items = result
    else:
        items = [result]
    for item in items:
        assert item is None or isinstance(item, case.success_types), (
            f"{case.tool} returned {type(item).__name__}, expected {case.success_types}"
        )


@pytest.mark.parametrize("case", params(CASES, PARSE_XFAILS))
async def test_parses_a_realistic_answer(case: OpCase) -> None:
    recorder = Recorder(ok_status(case), json_body=case.sample)
    async with client_for(recorder) as client:
        result = await call(case, client)
    assert_parsed(case, result)
    if case.returns_list:
        assert len(result) == len(case.sample)
        assert None not in result
    plain = to_plain(result)
    assert unset_free(plain)
    missing = json_keys(case.sample) - json_keys(plain)
    assert not missing, f"keys dropped by the parse ({case.sample_source}): {sorted(missing)}"
    assert plain == case.sample
    fallbacks = list(raw_dict_fallbacks(result))
    assert not fallbacks, f"declared fields left as raw dicts (nested parse failed): {fallbacks}"


@pytest.mark.parametrize("case", params(MODEL_CASES))
async def test_tolerates_null_everywhere(case: OpCase) -> None:
    variants = null_variants(case.sample)
    assert variants["leaves"] != case.sample
    for name, variant in variants.items():
        async with client_for(Recorder(200, json_body=variant)) as client:
            result = await call(case, client)
        assert_parsed(case, result)
        assert to_plain(result) == variant, f"variant {name!r} did not round-trip its nulls"


async def test_undeclared_keys_are_kept() -> None:
    case = BY_TOOL["products.getProductsIdJson"]
    answer = {"product": {"id": 5, "name": "Camisa", "brand_new_field": {"nested": [1, None]}}, "meta": 1}
    async with client_for(Recorder(200, json_body=answer)) as client:
        product = await call(case, client)
    assert product.additional_properties == {"meta": 1}
    assert product.product.additional_properties == {"brand_new_field": {"nested": [1, None]}}
    assert product.to_dict() == answer


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize("case", params(FAMILIES))
async def test_404_raises_not_found(case: OpCase) -> None:
    recorder = Recorder(404, json_body={"message": "Not found"})
    async with client_for(recorder) as client:
        with pytest.raises(NotFoundError) as caught:
            await call(case, client)
        detailed = await call(case, client, detailed=True)
    error = caught.value
    assert error.status_code == 404
    assert error.operation == case.tool
    assert error.method == case.method
    assert case.tool in str(error)
    assert "404" in str(error)
    assert "Not found" in str(error)
    assert TOKEN not in str(error)
    assert error.body == {"message": "Not found"}
    assert detailed.status_code == 404
    assert not detailed.is_success


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>", id="html"),
        pytest.param(None, id="truncated-json"),
    ],
)
@pytest.mark.parametrize("case", params(FAMILIES))
async def test_2xx_body_that_is_not_json_raises_parse_error(case: OpCase, body: bytes | None) -> None:
    if body is None:
        whole = json.dumps(case.sample).encode()
        body = whole[: max(1, len(whole) // 2)]
    headers = {"Content-Type": "text/html" if body.startswith(b"<") else "application/json"}
    recorder = Recorder(200, content=body, headers=headers)
    async with client_for(recorder) as client:
        with pytest.raises(ResponseParseError) as caught:
            await call(case, client)
        with pytest.raises(ResponseParseError):
            await call(case, client, detailed=True)
    error = caught.value
    assert error.operation == case.tool
    assert error.status_code == 200
    assert case.tool in str(error)
    assert "200" in str(error)
    assert isinstance(error.__cause__, (ValueError, TypeError, KeyError))


@pytest.mark.parametrize(
    ("status", "error_class"),
    [pytest.param(520, ServerError, id="520"), pytest.param(499, APIError, id="499")],
)
@pytest.mark.parametrize("case", params(FAMILIES))
async def test_status_outside_httpstatus(case: OpCase, status: int, error_class: type[APIError]) -> None:
    recorder = Recorder(status, content=b"<html>origin error</html>", headers={"Content-Type": "text/html"})
    async with client_for(recorder) as client:
        detailed = await call(case, client, detailed=True)
        with pytest.raises(APIError) as caught:
            await call(case, client)
    assert detailed.status_code == status
    assert detailed.parsed is None
    assert type(caught.value) is error_class
    assert caught.value.status_code == status
    assert case.tool in str(caught.value)
    assert len(recorder.requests) == 2  # not retried


LIST_CASES = [BY_TOOL[t] for t in ("apps.getJsappsJson", "categories.getCategoriesJson", "orders.getOrdersJson", "products.getProductsJson")]


@pytest.mark.parametrize(
    "answer",
    [pytest.param({"category": {"id": 1}}, id="object"), pytest.param("Not a list", id="string")],
)
@pytest.mark.parametrize("case", params(LIST_CASES, dict.fromkeys((c.tool for c in LIST_CASES), BUG_LIST_ACCEPTS_NON_LIST)))
async def test_list_operation_answered_with_a_non_list_raises_parse_error(case: OpCase, answer: Any) -> None:
    async with client_for(Recorder(200, json_body=answer)) as client:
        with pytest.raises(ResponseParseError):
            await call(case, client)


@pytest.mark.parametrize("case", params([c for c in FAMILIES if not c.returns_list and c.returns_model]))
async def test_object_operation_answered_with_a_list_raises_parse_error(case: OpCase) -> None:
    async with client_for(Recorder(200, json_body=[case.sample])) as client:
        with pytest.raises(ResponseParseError) as caught:
            await call(case, client)
    assert caught.value.operation == case.tool
