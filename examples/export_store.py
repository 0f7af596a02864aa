"""Export products, orders and customers concurrently from one store, at its rate limit.

Against a real store:
    JUMPSELLER_LOGIN=... JUMPSELLER_AUTHTOKEN=... python examples/export_store.py
Without credentials it exports a fake store served on 127.0.0.1 (limits 8/s and 240/min).
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from jumpseller_async import Exporter, JumpsellerClient
from jumpseller_async.testing import FakeJumpseller


async def export_all(client: JumpsellerClient, out_dir: Path) -> None:
    exporters = [
        Exporter(client, name, out_dir / f"{name}.jsonl")
        for name in ("products", "orders", "customers")
    ]
    for result in await asyncio.gather(*(e.run() for e in exporters)):
        print(
            f"{result.resource}: {result.items} items in {result.requests} requests, {result.elapsed:.1f}s"
        )


async def main() -> None:
    out_dir = Path(tempfile.mkdtemp(prefix="jumpseller-export-"))
    login, token = os.environ.get("JUMPSELLER_LOGIN"), os.environ.get("JUMPSELLER_AUTHTOKEN")
    if login and token:
        async with JumpsellerClient(login, token) as client:
            await export_all(client, out_dir)
    else:
        fake = FakeJumpseller(seed=2, products=300, orders=200, customers=150, latency=0.02)
        async with fake.run_in_background() as base_url:
            async with JumpsellerClient(fake.login, fake.authtoken, base_url=base_url) as client:
                await export_all(client, out_dir)
        print(f"rate-limit rejections: {fake.stats.rejections}")
    print(f"files in {out_dir}")


if __name__ == "__main__":
    asyncio.run(main())
