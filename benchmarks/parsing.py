"""(c) Parsing a realistic page: 100 products as FakeJumpseller serves them.

The page is fetched once in-process (``httpx.ASGITransport``) from ``GET
/v1/products.json?limit=100``; then, with ``timeit``, in alternating rounds:

* ``json.loads(bytes)``: the floor any client pays;
* ``json.loads`` + ``[Product.from_dict(x) for x in data]``: the models' parse;
* the operation's own parser (``get_products_json._parse_response`` on the answer, as
  ``send`` calls it): the models plus the generated list/None handling;
* ``to_dict`` + ``json.dumps`` per item: what an export does with each parsed item.
"""

from __future__ import annotations

import asyncio
import json
import timeit
from collections.abc import Callable
from typing import Any, cast

import httpx

from jumpseller_async._export import _unwrap
from jumpseller_async._operation import _Answer
from jumpseller_async.api.products import get_products_json
from jumpseller_async.models import Product
from jumpseller_async.testing import FakeJumpseller

from ._common import Check, Section, fmt, median, progress


async def _page() -> bytes:
    fake = FakeJumpseller(seed=1, products=100, limits=None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake),
        base_url="http://fake/v1",
        auth=(fake.login, fake.authtoken),
    ) as http:
        response = await http.get("/products.json", params={"limit": 100})
        response.raise_for_status()
        return response.content


def _cases(body: bytes) -> dict[str, Callable[[], object]]:
    response = httpx.Response(200, content=body)
    products = [Product.from_dict(x) for x in json.loads(body)]

    def loads() -> object:
        return json.loads(body)

    def models() -> object:
        return [Product.from_dict(x) for x in json.loads(body)]

    def operation() -> object:
        # A fresh _Answer each time: it caches the decoded JSON.
        return get_products_json._parse_response(cast(httpx.Response, _Answer(response)))

    def export_write() -> object:
        return [json.dumps(_unwrap(p), ensure_ascii=False, separators=(",", ":")) for p in products]

    return {
        "json.loads": loads,
        "json.loads + Product.from_dict": models,
        "get_products_json parser": operation,
        "to_dict + json.dumps (export)": export_write,
    }


async def run(quick: bool) -> list[Section]:
    body = await _page()
    items: list[Any] = json.loads(body)
    cases = _cases(body)
    rounds = 5 if quick else 11
    # Size each case to ~0.1 s per round so all rounds take about the same time.
    numbers = {name: max(1, int(timeit.Timer(fn).autorange()[0] / 2)) for name, fn in cases.items()}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    progress(f"parsing: {rounds} rounds of {len(cases)} cases")
    for i in range(rounds):
        names = list(cases)
        if i % 2:
            names.reverse()
        for name in names:
            seconds = timeit.Timer(cases[name]).timeit(numbers[name])
            samples[name].append(seconds / numbers[name] * 1e6)
        await asyncio.sleep(0)
    floor = samples["json.loads"]
    section = Section(
        title=f"(c) Parsing one page of {len(items)} products ({len(body) / 1024:.0f} KiB), "
        f"{rounds} alternating rounds",
        columns=["step", "µs / page", "µs / item", "ratio to json.loads"],
    )
    for name, values in samples.items():
        ratio = median([v / f for v, f in zip(values, floor, strict=True)])
        section.rows.append(
            [name, f"{median(values):.0f}", f"{median(values) / len(items):.1f}", fmt(ratio, 2)]
        )
        if name == "json.loads + Product.from_dict":
            section.checks.append(
                Check("parsing", "models parse / json.loads", fmt(ratio, 2), "informative", None)
            )
    section.notes += [
        "µs: median over rounds; ratio to json.loads: median of the per-round ratios",
        "the page is FakeJumpseller's seed=1 products, with variants, images and options",
    ]
    return [section]
