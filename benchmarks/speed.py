"""(f) Speed of the client itself: parse ratio, import time, stores one process can serve.

Everything runs against one in-memory transport (``httpx.MockTransport``) that answers every
``GET /products.json`` / ``/orders.json`` page with the 100-item page FakeJumpseller
(seed 1) served once, its ids moved per page number, so the network and the server cost nothing and the figures speak of
the client alone:

* **parse ratio**: ``PAGES`` pages through the public operation, ``async for item in
  client.paginate(get_products_json, known_total=…)`` (the limiter disabled), against a raw
  ``httpx.AsyncClient`` on the same transport that gets the same pages and ``json.loads``
  each body. Alternating rounds; the ratio is the median of the per-round ratios.
* **import time**: a fresh interpreter imports ``httpx``, then times ``import
  jumpseller_async`` (bytecode cached in a private ``PYTHONPYCACHEPREFIX`` that one warm-up
  interpreter writes, checked by each run); median of the runs. Also, informative: after
  ``httpx`` and ``asyncio`` (what the package costs a program that runs an event loop).
* **stores per process**: CPU seconds (``time.process_time``) per page through ``paginate``
  with an active (never limiting) limiter, and of raw httpx + ``json.loads`` alternating with it
  (best of ``CPU_RUNS`` each), turned into how many stores one process can serve at the live
  rate of 20 pages/s each: here, and at the raw speed of the machine where the issue set its
  targets (judged); then that many stores (at least the target) are run at once, each paced at
  20 pages/s for a few seconds, and the pages each achieved are reported against those asked.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from jumpseller_async import JumpsellerClient
from jumpseller_async.api.orders import get_orders_json
from jumpseller_async.api.products import get_products_json
from jumpseller_async.testing import FakeJumpseller

from ._common import Check, Section, fmt, median, miss, progress

BASE_URL = "http://fake/v1"
PAGE = 100
LIVE_RATE = 20.0  # pages per second per store
PARSE_TARGET = 1.3
IMPORT_TARGET_MS = 50.0
STORES_TARGET = {"products": 10, "orders": 6}
CPU_RUNS = 7
# Raw httpx + json.loads per page where the store targets were set, from the issue's own figures:
# "about 6 stores' product exports (2.5 for orders)" at 4.1x (4.5x) raw: 1 / (6 x 20) / 4.1 s
# and 1 / (2.5 x 20) / 4.5 s. Raw on this 2-vCPU VM takes 1.5-3x that, varying from run to run,
# so the stores here are shown beside raw's own and the target is judged at the speed.
RAW_REFERENCE_MS = {"products": 1e3 / (6 * 20) / 4.1, "orders": 1e3 / (2.5 * 20) / 4.5}
OPERATIONS = {"products": get_products_json, "orders": get_orders_json}


async def _pages() -> dict[str, bytes]:
    fake = FakeJumpseller(seed=1, products=PAGE, orders=PAGE, limits=None)
    bodies: dict[str, bytes] = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake),
        base_url=BASE_URL,
        auth=(fake.login, fake.authtoken),
    ) as http:
        for resource in OPERATIONS:
            response = await http.get(f"/{resource}.json", params={"limit": PAGE})
            response.raise_for_status()
            assert len(json.loads(response.content)) == PAGE
            bodies[resource] = response.content
    return bodies


def _numbered(body: bytes, page: int) -> bytes:
    """The page with its items' ids moved to ``page`` (a paginator refuses a repeated page)."""
    items = json.loads(body)
    for item in items:
        for inner in item.values():
            if isinstance(inner, dict) and isinstance(inner.get("id"), int):
                inner["id"] += page * 1_000_000
    return json.dumps(items, ensure_ascii=False, separators=(",", ":")).encode()


def _transport(bodies: dict[str, bytes], pages: int) -> httpx.MockTransport:
    by_path = {
        f"/v1/{resource}.json": {page: _numbered(body, page) for page in range(1, pages + 1)}
        for resource, body in bodies.items()
    }

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        body = by_path[request.url.path].get(page, b"[]")
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handler)


def _client(
    transport: httpx.AsyncBaseTransport, limits: tuple[tuple[int, float], ...] | None
) -> JumpsellerClient:
    return JumpsellerClient(
        "bench", "bench-token", base_url=BASE_URL, transport=transport, rate_limits=limits
    )


async def _ours(client: JumpsellerClient, resource: str, pages: int) -> int:
    items = 0
    async for _ in client.paginate(OPERATIONS[resource], known_total=pages * PAGE):
        items += 1
    return items


async def _raw(http: httpx.AsyncClient, resource: str, pages: int) -> int:
    items = 0
    for page in range(1, pages + 1):
        response = await http.get(f"/{resource}.json", params={"page": page, "limit": PAGE})
        items += len(json.loads(response.content))
    return items


async def _parse_ratios(bodies: dict[str, bytes], quick: bool) -> Section:
    pages = 10 if quick else 20
    rounds = 5 if quick else 31
    transport = _transport(bodies, pages)
    section = Section(
        title=f"(f1) Paging {pages} pages of {PAGE} through the public operation vs raw httpx + "
        f"json.loads, same in-memory transport, {rounds} alternating rounds",
        columns=[
            "resource",
            "raw ms / page",
            "ours ms / page",
            "ours / raw",
            "middle half of the rounds",
            "target",
        ],
    )
    client = _client(transport, None)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http, client:
        for resource in OPERATIONS:
            assert await _ours(client, resource, pages) == await _raw(http, resource, pages)
            progress(f"speed: parse ratio, {resource}")
            ours: list[float] = []
            raw: list[float] = []
            for i in range(rounds):
                order: list[Callable[[], Awaitable[int]]] = [
                    functools.partial(_ours, client, resource, pages),
                    functools.partial(_raw, http, resource, pages),
                ]
                timings: list[float] = []
                for fn in order if i % 2 == 0 else reversed(order):
                    started = time.perf_counter()
                    await fn()
                    timings.append(time.perf_counter() - started)
                if i % 2:
                    timings.reverse()
                ours.append(timings[0] / pages * 1e3)
                raw.append(timings[1] / pages * 1e3)
            ratios = sorted(o / r for o, r in zip(ours, raw, strict=True))
            ratio = median(ratios)
            spread = f"{ratios[len(ratios) // 4]:.2f} - {ratios[(3 * len(ratios)) // 4]:.2f}"
            met = ratio <= PARSE_TARGET
            if not met:
                miss(f"{resource} parse ratio {ratio:.2f} > {PARSE_TARGET}")
            section.rows.append(
                [
                    resource,
                    fmt(median(raw), 2),
                    fmt(median(ours), 2),
                    fmt(ratio, 2),
                    spread,
                    "<= 1.3",
                ]
            )
            section.checks.append(
                Check(
                    "speed",
                    f"{resource}: paginate / raw httpx+json.loads",
                    fmt(ratio, 2),
                    f"<= {PARSE_TARGET}",
                    met,
                )
            )
    section.notes.append(
        "ours: client.paginate(op, known_total=…) with rate_limits=None; raw: httpx get + "
        "json.loads per page; both on the same httpx.MockTransport"
    )
    return section


def _decoder() -> Callable[[bytes], Any]:
    try:  # the library's decoder where it has one (orjson when installed), else json
        from jumpseller_async._json import loads

        return loads
    except ImportError:
        return json.loads


async def _steps(bodies: dict[str, bytes], quick: bool) -> Section:
    """Where a page's time goes: each step adds one layer, all in alternating rounds."""
    from jumpseller_async import models

    pages = 10 if quick else 20
    rounds = 5 if quick else 9
    transport = _transport(bodies, pages)
    loads = _decoder()
    section = Section(
        title=f"(f1b) Where a page goes: ms per {PAGE}-item page, median of {rounds} rotating rounds",
        columns=["step", "products ms", "orders ms", "products / raw", "orders / raw"],
    )
    client = _client(transport, None)
    results: dict[str, dict[str, float]] = {}
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http, client:
        for resource, model in (("products", models.Product), ("orders", models.Order)):
            progress(f"speed: steps, {resource}")
            url = f"/{resource}.json"
            op = OPERATIONS[resource]

            async def get(page: int, url: str = url) -> bytes:
                response = await http.get(url, params={"page": page, "limit": PAGE})
                return response.content

            async def httpx_only() -> None:
                for page in range(1, pages + 1):
                    await get(page)

            async def raw() -> None:
                for page in range(1, pages + 1):
                    json.loads(await get(page))

            async def decode() -> None:
                for page in range(1, pages + 1):
                    loads(await get(page))

            async def models_too(model: Any = model) -> None:
                for page in range(1, pages + 1):
                    [model.from_dict(x) for x in loads(await get(page))]

            async def operation(op: Any = op) -> None:
                for page in range(1, pages + 1):
                    await op.asyncio(client=client, page=page, limit=PAGE)

            async def paginate(resource: str = resource) -> None:
                await _ours(client, resource, pages)

            steps: dict[str, Callable[[], Awaitable[None]]] = {
                "httpx get only": httpx_only,
                "raw: httpx + json.loads": raw,
                "httpx + the library's decoder": decode,
                "+ Model.from_dict per item": models_too,
                "the operation, page by page": operation,
                "client.paginate": paginate,
            }
            samples: dict[str, list[float]] = {name: [] for name in steps}
            names = list(steps)
            for i in range(rounds):
                for name in names[i % len(names) :] + names[: i % len(names)]:
                    started = time.perf_counter()
                    await steps[name]()
                    samples[name].append((time.perf_counter() - started) / pages * 1e3)
            results[resource] = {name: median(v) for name, v in samples.items()}
    raw_name = "raw: httpx + json.loads"
    for name in results["products"]:
        p, o = results["products"][name], results["orders"][name]
        section.rows.append(
            [
                name,
                fmt(p, 2),
                fmt(o, 2),
                fmt(p / results["products"][raw_name], 2),
                fmt(o / results["orders"][raw_name], 2),
            ]
        )
    section.notes.append(
        "the library's decoder: jumpseller_async._json.loads (orjson with json's answers) where "
        "the tree has it, else json.loads; the operation and paginate: rate_limits=None"
    )
    return section


# Timed in a fresh interpreter; afterwards it reports whether every module of the package was
# read from cached bytecode, so a figure that includes compiling our sources cannot pass as cached.
_IMPORT_PROBE = """\
import importlib.util, os, sys, time
{before}
started = time.time()
t = time.perf_counter()
{timed}
elapsed = time.perf_counter() - t
import jumpseller_async
ours = [m for n, m in list(sys.modules.items()) if n.split(".")[0] == "jumpseller_async"]
pycs = [importlib.util.cache_from_source(m.__file__) for m in ours if m.__file__]
cached = all(os.path.exists(p) and os.stat(p).st_mtime < started for p in pycs)
print(elapsed, cached, len(ours), os.path.dirname(os.path.dirname(jumpseller_async.__file__)))
"""

_FIRST_CALL = (
    "import jumpseller_async\n"
    "transport = httpx.MockTransport(lambda request: httpx.Response(200))\n"
    "jumpseller_async.JumpsellerClient('bench', 'bench-token', transport=transport).limiter\n"
    "from jumpseller_async.api.products import get_products_json"
)

# (row label, what the interpreter runs first, what is timed); the first row is the must-hold
_IMPORT_PROBES = (
    ("import jumpseller_async, after import httpx", "import httpx", "import jumpseller_async"),
    (
        "import jumpseller_async, after import httpx, asyncio",
        "import httpx, asyncio",
        "import jumpseller_async",
    ),
    (
        "import + a client + the products operation, after import httpx, asyncio",
        "import httpx, asyncio",
        _FIRST_CALL,
    ),
)


def _import_sample(
    before: str,
    env: dict[str, str],
    cached: bool,
    tree: str | None = None,
    timed: str = "import jumpseller_async",
) -> tuple[float, int]:
    """ms to run ``timed`` with the package of ``tree`` (default: the installed one), and how
    many of the package's modules were loaded then."""
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE.format(before=before, timed=timed)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,  # a -c script's sys.path starts with the working directory
    )
    seconds, was_cached, modules, root = out.stdout.split()
    if cached and was_cached != "True":
        raise RuntimeError("import probe: a module of the package was compiled, not read cached")
    if tree is not None and os.path.realpath(root) != os.path.realpath(tree):
        raise RuntimeError(f"import probe: imported the package of {root}, not of {tree}")
    return float(seconds) * 1e3, int(modules)


def _import_time(quick: bool) -> Section:
    runs = 7 if quick else 15
    progress(f"speed: import time, {runs} interpreters per row")
    section = Section(
        title=f"(f2) `import jumpseller_async` in a fresh interpreter, {runs} runs per row",
        columns=["timed", "median ms", "min ms", "max ms", "modules", "target"],
    )
    samples: dict[str, list[float]] = {label: [] for label, _, _ in _IMPORT_PROBES}
    modules: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="jumpseller-pycache-") as cache_dir:
        # A private cache that the warm-up run writes: in a PYTHONDONTWRITEBYTECODE=1
        # environment every run would otherwise time the compilation of the package.
        env = {**os.environ, "PYTHONPYCACHEPREFIX": cache_dir}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        _import_sample("import httpx, asyncio", env, cached=False, timed=_FIRST_CALL)
        for _ in range(runs):  # rows interleaved, so a load spike hits each of them alike
            for label, before, timed in _IMPORT_PROBES:
                ms, modules[label] = _import_sample(before, env, cached=True, timed=timed)
                samples[label].append(ms)
    for label, _, _ in _IMPORT_PROBES:
        values = samples[label]
        value = median(values)
        must_hold = label == _IMPORT_PROBES[0][0]
        section.rows.append(
            [
                label,
                fmt(value, 1),
                fmt(min(values), 1),
                fmt(max(values), 1),
                str(modules[label]),
                "<= 50" if must_hold else "-",
            ]
        )
        if must_hold:
            met = value <= IMPORT_TARGET_MS
            if not met:
                miss(
                    f"import jumpseller_async adds {value:.0f} ms over httpx > {IMPORT_TARGET_MS:.0f}"
                )
            section.checks.append(
                Check(
                    "speed", "import jumpseller_async over httpx (ms)", fmt(value, 1), "<= 50", met
                )
            )
    section.notes += [
        "bytecode read from a private PYTHONPYCACHEPREFIX that one warm-up interpreter "
        "wrote (each probe checks that every module of the package had a .pyc older than the run)",
        "modules: jumpseller_async modules loaded by then; the last row is what a program's "
        "first products call loads (the client on a mock transport: no SSL context)",
    ]
    return section


async def _cpu_per_page(
    client: JumpsellerClient, http: httpx.AsyncClient, resource: str, pages: int
) -> tuple[float, float]:
    """CPU seconds per page, ours (paginate) and raw (httpx + json.loads): the best of
    ``CPU_RUNS`` alternating runs each, the least disturbed on a shared machine."""
    await _ours(client, resource, pages)  # warm: first-use imports are not the steady state
    await _raw(http, resource, pages)
    ours = raw = float("inf")
    for _ in range(CPU_RUNS):
        started = time.process_time()
        await _ours(client, resource, pages)
        ours = min(ours, (time.process_time() - started) / pages)
        started = time.process_time()
        await _raw(http, resource, pages)
        raw = min(raw, (time.process_time() - started) / pages)
    return ours, raw


async def _paced_store(client: JumpsellerClient, resource: str, seconds: float) -> int:
    """Pages answered within ``seconds`` when asking one every 1/LIVE_RATE s, never early."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    deadline = start + seconds
    operation = OPERATIONS[resource]
    done = 0
    k = 0
    while (due := start + k / LIVE_RATE) < deadline:
        if (delay := due - loop.time()) > 0:
            await asyncio.sleep(delay)
        await operation.asyncio(client=client, page=1, limit=PAGE)
        if loop.time() <= deadline:
            done += 1
        k += 1
    return done


async def _stores(bodies: dict[str, bytes], quick: bool) -> Section:
    pages = 10 if quick else 20
    seconds = 3.0 if quick else 5.0
    transport = _transport(bodies, pages)
    section = Section(
        title=f"(f3) Stores one process serves at {LIVE_RATE:.0f} pages/s each "
        f"(pages of {PAGE}, in-memory transport)",
        columns=[
            "resource",
            "CPU ms / page",
            "stores (CPU bound)",
            "raw CPU ms / page",
            "raw stores",
            "ours / raw CPU",
            "stores at the issue's raw speed",
            "paced run: stores",
            "pages asked",
            "pages done",
            "done / asked",
            "target stores",
        ],
    )
    for resource in OPERATIONS:
        progress(f"speed: stores, {resource}")
        client = _client(transport, ((1_000_000, 1.0),))
        async with client, httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            cpu, raw_cpu = await _cpu_per_page(client, http, resource, pages)
        capacity = 1.0 / (cpu * LIVE_RATE)
        target = STORES_TARGET[resource]
        at_reference = 1.0 / (cpu / raw_cpu * RAW_REFERENCE_MS[resource] / 1e3 * LIVE_RATE)
        n = max(target, int(capacity))
        clients = [_client(transport, ((1_000_000, 1.0),)) for _ in range(n)]
        for c in clients:  # warm each client's first-use paths outside the paced window
            await OPERATIONS[resource].asyncio(client=c, page=1, limit=PAGE)
        done = await asyncio.gather(*(_paced_store(c, resource, seconds) for c in clients))
        for c in clients:
            await c.aclose()
        asked = int(seconds * LIVE_RATE) * n
        share = sum(done) / asked
        met = at_reference >= target
        if not met:
            miss(f"{resource}: {at_reference:.1f} stores per process < {target}")
        section.rows.append(
            [
                resource,
                fmt(cpu * 1e3, 2),
                fmt(capacity, 1),
                fmt(raw_cpu * 1e3, 2),
                fmt(1.0 / (raw_cpu * LIVE_RATE), 1),
                fmt(cpu / raw_cpu, 2),
                fmt(at_reference, 1),
                str(n),
                str(asked),
                str(sum(done)),
                fmt(share, 3),
                f">= {target}",
            ]
        )
        section.checks.append(
            Check(
                "speed",
                f"{resource}: stores per process at 20 pages/s (issue's raw speed)",
                fmt(at_reference, 1),
                f">= {target}",
                met,
            )
        )
    section.notes += [
        "stores (CPU bound) = 1 / (CPU seconds per page x 20): best of "
        f"{CPU_RUNS} runs of {pages} pages through paginate with a never-limiting limiter",
        "raw: the same for httpx + json.loads alone (no library), alternating with ours: what "
        "this machine allows any client (the issue's own figures, about 6 stores at 4.1x raw, "
        "put raw at about 2 ms a products page where the targets were set)",
        "stores at the issue's raw speed = 1 / (ours / raw CPU x the issue's raw ms per page x "
        "20), raw being 2.03 ms (products) and 4.44 ms (orders) there; the target is judged on "
        "it, since on this machine raw alone serves a number of stores that changes run to run",
        f"paced run: that many clients (at least the target) at once, each asking one page every "
        f"{1 / LIVE_RATE:.2f} s for {seconds:.0f} s; done / asked < 1 means the process fell behind",
    ]
    return section


async def run(quick: bool) -> list[Section]:
    bodies = await _pages()
    return [
        await _parse_ratios(bodies, quick),
        await _steps(bodies, quick),
        _import_time(quick),
        await _stores(bodies, quick),
    ]
