"""Several real processes export one strict store over real HTTP, sharing a real redis-server.

The store (``FakeJumpseller`` under uvicorn, started here) keeps Jumpseller's 8/s and 240/min,
sliding and counted on arrival, with its windows shrunk ten times (``time_scale=0.1``); each
child process runs its client on a clock ten times faster (``ScaledClock(0.1)``), so it keeps
its stock limits and header handling. The children are released together after start-up
(``jumpseller_async._processes``). Only outcomes are asserted here; how close to the optimal
makespan they come is measured by ``python -m benchmarks --only processes`` (BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

from jumpseller_async._processes import FleetResult, run_fleet
from jumpseller_async.testing import FakeJumpseller
from tests._redis import RedisServer

pytestmark = pytest.mark.integration

SCALE = 0.1
LIMITS = [(8, 1.0), (240, 60.0)]


def strict_store(products: int) -> FakeJumpseller:
    return FakeJumpseller(
        seed=3, products=products, limits=LIMITS, time_scale=SCALE, latency=0.002, ban_after=None
    )


async def export(
    fake: FakeJumpseller, tmp_path: Path, processes: int, storage: str | None, **kwargs: object
) -> FleetResult:
    async with fake.run_in_background() as base_url:
        return await run_fleet(
            processes,
            base_url=base_url,
            login=fake.login,
            authtoken=fake.authtoken,
            out_dir=tmp_path,
            storage=storage,
            scale=SCALE,
            **kwargs,  # type: ignore[arg-type]
        )


def assert_every_item_exactly_once(fake: FakeJumpseller, fleet: FleetResult) -> None:
    expected = Counter(fake.store.products.ids)
    for worker in fleet.workers:
        assert worker.error is None, worker
        lines = Path(worker.path).read_text(encoding="utf-8").splitlines()
        assert Counter(json.loads(line)["id"] for line in lines) == expected, worker.index


async def test_three_processes_sharing_redis_never_exceed_the_store(
    redis_url: str, tmp_path: Path
) -> None:
    # 3 x 92 requests: more than the 240 a minute allows, so both windows bind.
    fake = strict_store(products=900)
    fleet = await export(fake, tmp_path, 3, redis_url)
    assert_every_item_exactly_once(fake, fleet)
    assert fleet.requests == 3 * 92
    assert fake.stats.rejections == 0, [w.warnings for w in fleet.workers]
    assert fake.stats.max_in_window(1.0) <= 8
    assert fake.stats.max_in_window(60.0) <= 240
    assert all(w.refused == 0 for w in fleet.workers)


async def test_three_processes_without_redis_complete_every_export(tmp_path: Path) -> None:
    fake = strict_store(products=250)
    fleet = await export(fake, tmp_path, 3, None)
    assert not fleet.failed
    assert_every_item_exactly_once(fake, fleet)


async def test_redis_killed_mid_run_every_export_completes(
    redis_server: RedisServer, redis_url: str, tmp_path: Path
) -> None:
    fake = strict_store(products=300)

    async def outage() -> None:
        await asyncio.sleep(0.4)  # real seconds: four scaled seconds into the run
        await asyncio.to_thread(redis_server.stop)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(redis_server.start)

    fleet = await export(fake, tmp_path, 3, redis_url, during=outage)
    assert_every_item_exactly_once(fake, fleet)
    assert not fleet.failed
    fell_back = [w for w in fleet.workers if any("unreachable" in m for m in w.warnings)]
    assert fell_back, "Redis was stopped mid-run but no process noticed"
