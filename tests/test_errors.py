"""``errors``: answers map to the typed error tree that the module's docstring draws."""

from __future__ import annotations

import httpx
import pytest

from jumpseller_async import (
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    ServerError,
    errors,
)
from jumpseller_async.api.products import get_products_id_json
from jumpseller_async.testing import FakeClock
from tests._scripted import Script, make

# --- typed errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (422, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (500, ServerError),
        (520, ServerError),
        (499, errors.APIError),
    ],
)
async def test_statuses_map_to_typed_errors(status: int, error_class: type[Exception]) -> None:
    clock = FakeClock()
    headers = {"Jumpseller-PerSecondRateLimit-Remaining": "7"}
    script = Script(clock, httpx.Response(status, json={"message": "nope"}, headers=headers))
    async with make(clock, script, max_retries=0) as client:
        with pytest.raises(error_class) as info:
            await clock.run(get_products_id_json.asyncio(5, client=client))
        detailed = await clock.run(get_products_id_json.asyncio_detailed(5, client=client))
    error = info.value
    assert type(error) is error_class
    assert error.status_code == status and error.method == "GET"
    assert error.body == {"message": "nope"}
    assert error.rate_limit_headers == {"Jumpseller-PerSecondRateLimit-Remaining": "7"}
    assert detailed.status_code == status


def test_errors_docstring_draws_every_class_and_each_has_one_line() -> None:
    doc = errors.__doc__ or ""
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert name in doc, name
        assert cls.__doc__ and len(cls.__doc__.strip().splitlines()) == 1, name
