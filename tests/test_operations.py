"""Every generated operation, end to end against httpx.MockTransport (never the network).

For each of the 183 operations (found by walking ``jumpseller_async.api``): the request it sends
(method, escaped path, exact query, JSON body, Basic credentials), the parse of a realistic
answer (the official spec's example or a value synthesized from its schema) with nothing
dropped, the same request through ``client.<tag>.<operation>``, and tolerance of ``null`` in
every place. Error mapping is checked on one operation per family (method and answer shape).
Samples and expectations are built in ``tests/_opsamples.py``.
"""

from __future__ import annotations

import base64
import enum
import json
import re
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from codegen._spec import iter_operations
from jumpseller_async import (
    UNSET,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    JumpsellerClient,
    PermissionDeniedError,
)
from jumpseller_async.api.products import (
    get_products_id_json,
    get_products_json,
    put_products_id_json,
)
from jumpseller_async.errors import (
    APIError,
    NotFoundError,
    ResponseParseError,
    ServerError,
)
from jumpseller_async.models import ProductEdit, ProductEditFields
from tests._faultclients import NESTED, mock_client
from tests._opsamples import (
    EXPECTED_OPERATION_COUNT,
    MAX_PAGE_SIZE,
    OpCase,
    all_cases,
    discover_operations,
    json_keys,
    null_variants,
    official_spec,
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


def params(cases: Iterable[OpCase]) -> list[Any]:
    """pytest params with the tool name as id."""
    out = []
    for case in cases:
        out.append(pytest.param(case, id=case.tool))
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
        "products.deleteProductsIdJson",
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

    def __init__(
        self,
        status: int = 200,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
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
async def client_for(
    handler: Callable[[httpx.Request], httpx.Response],
) -> AsyncIterator[JumpsellerClient]:
    client = JumpsellerClient(
        LOGIN, TOKEN, transport=httpx.MockTransport(handler), rate_limits=None
    )
    try:
        yield client
    finally:
        await client.aclose()


async def call(
    case: OpCase, client: JumpsellerClient, *, detailed: bool = False, minimal: bool = False
) -> Any:
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
    document = BY_TOOL["orders.putOrdersIdDocumentsPublicIdJson"]
    assert document.expected_path.endswith("/documents/doc%207%2F%C3%B1%2Bx.json")
    search = BY_TOOL["orders.getOrdersSearchJson"]
    assert "status_filters[]" in search.expected_query and "dateFilter" in search.expected_query
    status = BY_TOOL["orders.getOrdersStatusStatusJson"]
    assert status.expected_path == "/orders/status/Pending%20Payment.json"
    products = BY_TOOL["products.getProductsJson"]
    assert products.expected_query == {"limit": str(MAX_PAGE_SIZE), "page": "2", "locale": "es"}
    assert products.expected_required_query == {}
    assert BY_TOOL["partners.getPartnersStoresJson"].expected_query["from"] == "2024-01-01"
    put = BY_TOOL["products.putProductsIdJson"]
    assert put.expected_body == {
        "product": {"name": "Camisa Roja", "price": 9.5, "status": "not-available"}
    }
    sources = {case.sample_source for case in CASES}
    # The official spec is committed in codegen/: its examples and schemas feed the answers.
    assert official_spec()["openapi"] == "3.0.3"
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
    direct, via_namespace = (
        Recorder(200, json_body=case.sample),
        Recorder(200, json_body=case.sample),
    )
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


# Writes whose whole input is in the query, as both specs document them.
QUERY_ONLY_WRITES = {
    # The official spec moves an image with ?position=N and declares no body.
    "productImages.putProductsProductIdImagesImageIdJson": {"position"},
}
BODY_CASES = [
    case for case in CASES if case.method in BODY_METHODS and case.tool not in QUERY_ONLY_WRITES
]


@pytest.mark.parametrize("case", params(BODY_CASES))
def test_create_and_update_operations_take_a_json_body(case: OpCase) -> None:
    assert case.body is not None, f"{case.tool} ({case.method} {case.path}) has no body argument"


@pytest.mark.parametrize("tool", sorted(QUERY_ONLY_WRITES))
def test_query_only_writes_require_their_query(tool: str) -> None:
    case = BY_TOOL[tool]
    assert case.body is None
    assert set(case.expected_required_query) == QUERY_ONLY_WRITES[tool]


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


@pytest.mark.parametrize("case", params(CASES))
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
    answer = {
        "product": {"id": 5, "name": "Camisa", "brand_new_field": {"nested": [1, None]}},
        "meta": 1,
    }
    async with client_for(Recorder(200, json_body=answer)) as client:
        product = await call(case, client)
    assert product.additional_properties == {"meta": 1}
    assert product.product.additional_properties == {"brand_new_field": {"nested": [1, None]}}
    assert product.to_dict() == answer


# --------------------------------------------------------------------------- error mapping


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        pytest.param(b'{"message": "Not found"}', "Not found", id="json"),
        pytest.param(b"<html><body>Page not found</body></html>", "<html>", id="html"),
    ],
)
@pytest.mark.parametrize("case", params(FAMILIES))
async def test_404_raises_not_found(case: OpCase, answer: bytes, detail: str) -> None:
    recorder = Recorder(404, content=answer, headers={"Content-Type": "application/json"})
    async with client_for(recorder) as client:
        with pytest.raises(NotFoundError) as caught:
            await call(case, client)
        detailed = await call(case, client, detailed=True)
    error = caught.value
    assert error.status_code == 404
    assert error.operation == case.tool
    assert error.method == case.method
    assert str(error).startswith(f"{case.tool}: HTTP 404 from {case.method} ")
    assert detail in str(error)
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error)
    assert detailed.status_code == 404
    assert not detailed.is_success
    assert detailed.content == answer


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>", id="html"),
        pytest.param(None, id="truncated-json"),
    ],
)
@pytest.mark.parametrize("case", params(FAMILIES))
async def test_2xx_body_that_is_not_json_raises_parse_error(
    case: OpCase, body: bytes | None
) -> None:
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
async def test_status_outside_httpstatus(
    case: OpCase, status: int, error_class: type[APIError]
) -> None:
    recorder = Recorder(
        status, content=b"<html>origin error</html>", headers={"Content-Type": "text/html"}
    )
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


LIST_CASES = [
    BY_TOOL[t]
    for t in (
        "apps.getJsappsJson",
        "categories.getCategoriesJson",
        "orders.getOrdersJson",
        "products.getProductsJson",
    )
]


@pytest.mark.parametrize(
    "answer",
    [pytest.param({"category": {"id": 1}}, id="object"), pytest.param("Not a list", id="string")],
)
@pytest.mark.parametrize(
    "case",
    params(LIST_CASES),
)
async def test_list_operation_answered_with_a_non_list_raises_parse_error(
    case: OpCase, answer: Any
) -> None:
    async with client_for(Recorder(200, json_body=answer)) as client:
        with pytest.raises(ResponseParseError):
            await call(case, client)


@pytest.mark.parametrize(
    "case", params([c for c in FAMILIES if not c.returns_list and c.returns_model])
)
async def test_object_operation_answered_with_a_list_raises_parse_error(case: OpCase) -> None:
    async with client_for(Recorder(200, json_body=[case.sample])) as client:
        with pytest.raises(ResponseParseError) as caught:
            await call(case, client)
    assert caught.value.operation == case.tool


# --------------------------------------------------------------------------- answers with a choice


CHECK_STATUS_ANSWERS = {
    "in-progress": {"status": {"message": "Creating store", "percentage": "40"}},
    "ready": {
        "store": {
            "code": "newstore",
            "email_partner": "p@example.com",
            "name": "New",
            "redirect_url": "https://x.example/welcome",
        }
    },
}


@pytest.mark.parametrize("name", sorted(CHECK_STATUS_ANSWERS))
async def test_check_status_answer_tells_progress_from_a_ready_store(name: str) -> None:
    case = BY_TOOL["partners.getStoreCheckStatusJson"]
    answer = CHECK_STATUS_ANSWERS[name]
    async with client_for(Recorder(200, json_body=answer)) as client:
        result = await call(case, client)
    assert result.to_dict() == answer
    assert not result.additional_properties
    if name == "ready":
        assert result.store.code == "newstore" and result.status is UNSET
    else:
        assert result.status.percentage == "40" and result.store is UNSET


# --------------------------------------------------------------------------- real-world quirks

QUIRKY_ANSWERS = {
    # Numbers as strings, unlisted enum values, fields the spec does not know.
    "products.getProductsIdJson": {
        "product": {
            "id": 1001,
            "name": "Camisa",
            "discount": "182000.0",
            "status": "archived",
            "brand": "Acme",
            "compare_at_price": 25990.0,
            "variants": [None, {"id": 5, "price": "9990.0", "options": None}],
            "categories": [],
        }
    },
    # Order timestamps in "UTC" form, localized shipment status, new statuses, flat customer.
    "orders.getOrdersIdJson": {
        "order": {
            "id": 1001,
            "created_at": "2025-01-01 10:18:51 UTC",
            "status": "Refunded",
            "status_enum": "refunded",
            "shipment_status": "Enviado",
            "shipment_status_enum": "shipped",
            "customer": {"id": 9, "email": "ana@example.com", "fullname": "Ana Pérez", "ip": None},
            "billing_information": None,
            "gift_cards_discount": None,
            "products": [{"id": 3, "name": "Camisa", "qty": 2, "price": "9990.0"}],
            "total": "19980.0",
        }
    },
    "customers.getCustomersIdJson": {
        "customer": {"id": "123", "email": "ana@example.com", "status": "blocked"}
    },
    "taxes.getTaxesJson": [
        {"tax": {"id": 1, "rate": "19.0", "amount": "0.19", "fixed": None}},
        None,
    ],
}


@pytest.mark.parametrize("tool", sorted(QUIRKY_ANSWERS))
async def test_real_world_quirks_survive_a_round_trip(tool: str) -> None:
    case, answer = BY_TOOL[tool], QUIRKY_ANSWERS[tool]
    async with client_for(Recorder(200, json_body=answer)) as client:
        result = await call(case, client)
    assert_parsed(case, result)
    assert to_plain(result) == answer
    assert not list(raw_dict_fallbacks(result))


async def test_order_customer_is_the_flat_customer() -> None:
    case = BY_TOOL["orders.getOrdersIdJson"]
    async with client_for(Recorder(200, json_body=QUIRKY_ANSWERS[case.tool])) as client:
        order = await call(case, client)
    customer = order.order.customer
    assert (customer.id, customer.email, customer.fullname) == (9, "ana@example.com", "Ana Pérez")
    assert str(order.order.shipment_status) == "Enviado"
    assert order.order.status_enum == "refunded"  # declared now, and open: an unlisted code is kept


# --------------------------------------------------------------------------- path escaping


def string_path_cases() -> list[Any]:
    out = []
    for case in CASES:
        for index, value in enumerate(case.path_args):
            if not isinstance(value, str) or isinstance(value, enum.Enum):
                continue
            name = re.findall(r"\{([^}]+)\}", case.path)[index]
            out.append(pytest.param(case, index, id=f"{case.tool}-{name}"))
    return out


@pytest.mark.parametrize(("case", "index"), string_path_cases())
@pytest.mark.parametrize("value", [pytest.param("..", id="dotdot"), pytest.param(".", id="dot")])
async def test_dot_path_parameter_stays_in_its_segment(
    case: OpCase, index: int, value: str
) -> None:
    args = list(case.path_args)
    args[index] = value
    recorder = Recorder(200, json_body=case.sample)
    async with client_for(recorder) as client:
        await case.module.asyncio_detailed(*args, client=client, **case.call_kwargs())
    sent = escaped_path(recorder.only).split("/")
    template = (BASE_PATH + case.path).split("/")
    assert len(sent) == len(template), f"{'/'.join(sent)} left the {case.path} template"
    for got, want in zip(sent, template, strict=True):
        if "{" not in want:
            assert got == want
        else:
            assert got not in ("..", "."), f"dot segment {got!r} sent unescaped"


RESERVED_TOOLS = (
    "apps.getJsappsCodeJson",
    "customers.getCustomersEmailEmailJson",
    "countries.getCountriesCountryCodeRegionsRegionCodeJson",
)


@pytest.mark.parametrize("case", params(BY_TOOL[tool] for tool in RESERVED_TOOLS))
async def test_reserved_characters_in_string_path_parameters_are_escaped(case: OpCase) -> None:
    args = ["a/b c?x#y&z=1%" if isinstance(v, str) else v for v in case.path_args]
    recorder = Recorder(200, json_body=case.sample)
    async with client_for(recorder) as client:
        await case.module.asyncio_detailed(*args, client=client, **case.call_kwargs())
    escaped = "a%2Fb%20c%3Fx%23y%26z%3D1%25"
    expected = case.path
    for name in re.findall(r"\{([^}]+)\}", case.path):
        expected = re.sub(r"\{" + name + r"\}", escaped, expected)
    assert escaped_path(recorder.only) == BASE_PATH + expected
    assert sorted(recorder.only.url.params.multi_items()) == sorted(case.expected_query.items())


# --------------------------------------------------------------------------- bad bodies


BAD_BODIES: dict[str, bytes] = {
    "html": b"<!DOCTYPE html><html><body><h1>We'll be back soon</h1></body></html>",
    "truncated": b'{"product": {"id": 5, "na',
    "nested": NESTED,
    "nested-object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    "20MB": b"<html>" + b"x" * 20_000_000 + b"</html>",
    "not-utf8": b"\xff\xfe\x00garbage",
    "wrong-shape": b'["a", "list"]',
}


@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
async def test_bad_2xx_body_is_a_response_parse_error_with_the_body_kept(kind: str) -> None:
    content = BAD_BODIES[kind]
    async with mock_client(lambda r: httpx.Response(200, content=content)) as client:
        with pytest.raises(ResponseParseError) as info:
            await get_products_id_json.asyncio(5, client=client)
    error = info.value
    assert error.status_code == 200 and error.operation == "products.getProductsIdJson"
    assert error.content == content  # raw, nothing lost
    assert len(str(error)) < 1000  # the message quotes a snippet, not 20 MB


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 500, 503])
@pytest.mark.parametrize("kind", sorted(BAD_BODIES))
async def test_bad_error_body_keeps_the_status_error(status: int, kind: str) -> None:
    content = BAD_BODIES[kind]
    expected = {
        400: BadRequestError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        422: BadRequestError,
        500: ServerError,
        503: ServerError,
    }[status]
    async with mock_client(
        lambda r: httpx.Response(status, content=content), max_retries=0
    ) as client:
        with pytest.raises(expected) as info:
            await get_products_id_json.asyncio(5, client=client)
    error = info.value
    assert error.status_code == status
    if kind == "wrong-shape":
        assert error.body == ["a", "list"]
    else:
        # Not JSON (or too deep to decode): kept as text, never dropped.
        assert isinstance(error.body, str) and len(error.body) >= len(content) // 2
    assert len(str(error)) < 1000


# --------------------------------------------------------------------------- hostile arguments


def _counting() -> tuple[list[httpx.Request], Callable[[httpx.Request], httpx.Response]]:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"product": {"id": 5}})

    return sent, handler


HOSTILE_PATH_VALUES: list[tuple[Any, str]] = [
    (None, "path parameter id is required, got None"),
    (UNSET, "path parameter id is required, got UNSET"),
    ("7" * 70_000, "path parameter id is 70,000 characters"),
    ("a\ud800b", "path parameter id is not valid text"),
]


@pytest.mark.parametrize(
    ("value", "message"), HOSTILE_PATH_VALUES, ids=["none", "unset", "huge", "surrogate"]
)
async def test_hostile_path_value_is_refused_before_a_limiter_slot(
    value: Any, message: str
) -> None:
    sent, handler = _counting()
    async with mock_client(handler, rate_limits=[(8, 1.0)]) as client:
        admitted = client.limiter.stats.admitted
        with pytest.raises(ConfigurationError, match=message):
            await get_products_id_json.asyncio(value, client=client)
        assert client.limiter.stats.admitted == admitted
    assert sent == []


HOSTILE_QUERY_VALUES: list[tuple[Any, str]] = [
    ("x" * 70_000, "query parameter locale is 70,00"),
    ("a\ud800b", "query parameter locale cannot be sent"),
    ({"a": 1}, "query parameter locale cannot be sent"),
    (object(), "query parameter locale cannot be sent"),
]


@pytest.mark.parametrize(
    ("value", "message"), HOSTILE_QUERY_VALUES, ids=["huge", "surrogate", "dict", "object"]
)
async def test_hostile_query_value_is_refused_before_a_limiter_slot(
    value: Any, message: str
) -> None:
    sent, handler = _counting()
    async with mock_client(handler, rate_limits=[(8, 1.0)]) as client:
        with pytest.raises(ConfigurationError, match=message):
            await get_products_id_json.asyncio(5, client=client, locale=value)
        assert client.limiter.stats.admitted == 0
    assert sent == []


async def test_many_large_query_values_together_name_the_largest() -> None:
    sent, handler = _counting()
    async with mock_client(handler) as client:
        with pytest.raises(
            ConfigurationError, match=r"too long .*; the largest part is query parameter locale"
        ):
            await get_products_json.asyncio(client=client, locale="y" * 59_990, limit=50)
    assert sent == []


@pytest.mark.parametrize(
    "value",
    ["../..", ".", "..", "a/b", "?x=1#frag", "%2e%2e", " ", "\x00", "é/ü", "5.json?authtoken=x"],
)
async def test_hostile_path_values_stay_in_their_segment(value: str) -> None:
    sent, handler = _counting()
    async with mock_client(handler) as client:
        await get_products_id_json.asyncio(value, client=client)  # type: ignore[arg-type]
    raw = sent[0].url.raw_path.decode("ascii")
    path = raw.split("?")[0]
    assert path.startswith("/v1/products/") and path.endswith(".json")
    assert path.count("/") == 3  # one segment, whatever the value holds
    assert "?" not in raw or raw.index("?") > len(path) - 1


async def test_hostile_body_is_refused_before_a_limiter_slot() -> None:
    sent, handler = _counting()
    async with mock_client(handler, rate_limits=[(8, 1.0)]) as client:
        for bad in (float("nan"), float("inf"), "a\ud800b"):
            body = ProductEdit(product=ProductEditFields(name=bad))  # type: ignore[arg-type]
            with pytest.raises(ConfigurationError, match="the body cannot be sent as JSON"):
                await put_products_id_json.asyncio(5, client=client, body=body)
        assert client.limiter.stats.admitted == 0
    assert sent == []
