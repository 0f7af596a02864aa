"""examples/fastapi_app.py for real: uvicorn with 2 worker processes sharing a real Redis, the fake
Jumpseller served over HTTP, and the whole install → call → webhook loop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from jumpseller_async.testing import FakeAccounts, FakeJumpseller, send_delivery
from tests._redis import free_port

ROOT = Path(__file__).resolve().parent.parent
CLIENT_ID = "example-app"
CLIENT_SECRET = "example-app-secret-0123456789"

pytestmark = pytest.mark.integration


async def wait_for_workers(url: str, process: subprocess.Popen[bytes], workers: int) -> None:
    """Until ``workers`` distinct processes have answered (a fresh connection per probe)."""
    pids: set[int] = set()
    deadline = time.monotonic() + 30
    while len(pids) < workers:
        if process.poll() is not None:
            raise RuntimeError(f"uvicorn exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {len(pids)} of {workers} workers answered")
        try:
            async with httpx.AsyncClient(timeout=2) as probe:
                pids.add((await probe.get(f"{url}/health")).json()["pid"])
        except httpx.HTTPError:
            await asyncio.sleep(0.05)


async def test_install_calls_and_webhooks_across_two_workers(redis_url: str) -> None:
    shop_a = FakeJumpseller(seed=1, login="shop-a", products=40, orders=12)
    shop_b = FakeJumpseller(seed=2, login="shop-b", products=25, orders=9)
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    accounts = FakeAccounts(
        [shop_a, shop_b], apps={CLIENT_ID: (CLIENT_SECRET, [f"{app_url}/jumpseller/callback"])}
    )
    async with accounts.run_in_background() as fake_root:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("JUMPSELLER_")},
            "JUMPSELLER_CLIENT_ID": CLIENT_ID,
            "JUMPSELLER_CLIENT_SECRET": CLIENT_SECRET,
            "JUMPSELLER_APP_URL": app_url,
            "JUMPSELLER_API_URL": f"{fake_root}/v1",
            "JUMPSELLER_ACCOUNTS_URL": fake_root,
            "JUMPSELLER_REDIS_URL": redis_url,
            "JUMPSELLER_STORE_LOGIN": shop_a.login,
            "JUMPSELLER_STORE_AUTHTOKEN": shop_a.authtoken,
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                "examples",
                "fastapi_app:create_app",
                "--factory",
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        redis = aioredis.Redis.from_url(redis_url)
        try:
            await wait_for_workers(app_url, process, 2)
            async with httpx.AsyncClient(base_url=app_url, timeout=30) as browser:
                # Install shop-b through OAuth: our /install → Jumpseller → our /callback.
                to_jumpseller = (await browser.get("/jumpseller/install")).headers["location"]
                assert to_jumpseller.startswith(f"{fake_root}/oauth/authorize?")
                approved = await browser.get(f"{to_jumpseller}&store=shop-b")
                installed = await browser.get(approved.headers["location"])
                assert installed.status_code == 200, installed.text
                assert installed.json() == {"installed": "shop-b"}

                # A burst on both stores from both workers: one shared budget per store (Redis),
                # so the fake refuses nothing though 2 processes x 8/s would exceed 8/s.
                summaries = await asyncio.gather(
                    *(browser.get(f"/stores/{code}/summary") for code in ["shop-a", "shop-b"] * 8)
                )
                assert [s.status_code for s in summaries] == [200] * 16
                assert summaries[0].json() == {"orders": 12, "products": 40}
                assert summaries[1].json() == {"orders": 9, "products": 25}
                assert (await browser.get("/stores/nope/summary")).status_code == 404

            # A signed webhook, then the same delivery 6 more times at once: handled once.
            url = f"{app_url}/jumpseller/webhooks"
            order_id = shop_a.store.orders.ids[0]
            sent = await shop_a.deliver("order_paid", order_id, url)
            assert sent.status == 200
            replays = await asyncio.gather(*(send_delivery(sent) for _ in range(6)))
            assert [r.status for r in replays] == [200] * 6
            # The OAuth store's webhook verifies with the hooks token learned from the API.
            sent_b = await shop_b.deliver("order_paid", shop_b.store.orders.ids[0], url)
            assert sent_b.status == 200
            # Forged: another token, or a body changed after signing.
            forged = await shop_a.deliver("order_paid", order_id, url, hooks_token="guessed")
            assert forged.status == 401
            async with httpx.AsyncClient() as http:
                tampered = await http.post(
                    url, content=sent.body.replace(b'"Paid"', b'"Canceled"'), headers=sent.headers
                )
            assert tampered.status_code == 401

            handled = sorted(v.decode() for v in await redis.lrange("fastapi_app:handled", 0, -1))
            assert handled == sorted(
                [
                    f"shop-a:order_paid:{order_id}:Paid",
                    f"shop-b:order_paid:{shop_b.store.orders.ids[0]}:Paid",
                ]
            ), handled
            assert shop_a.stats.rejections == 0 and shop_b.stats.rejections == 0
            assert accounts.counts["refused"] == 0
        finally:
            await redis.aclose()
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
