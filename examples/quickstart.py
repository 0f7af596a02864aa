"""A tour of the client against the fake Jumpseller, in-process (runs offline).

With a real store, drop `transport=` and `base_url=` and pass your login and token:
    JumpsellerClient("mystore", "32-character-token")

Run: python examples/quickstart.py
"""

from __future__ import annotations

import asyncio

import httpx

from jumpseller_async import JumpsellerClient, NotFoundError
from jumpseller_async.api.orders import get_orders_after_id_json
from jumpseller_async.api.products import get_products_json
from jumpseller_async.models import OrderFields, ProductEdit, ProductEditFields, ProductFields
from jumpseller_async.testing import FakeJumpseller


async def main() -> None:
    fake = FakeJumpseller(seed=1, products=250, orders=120, latency=0.0)
    async with JumpsellerClient(
        fake.login,
        fake.authtoken,
        base_url="http://fake/v1",
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        # Typed calls: each tag is a namespace on the client.
        count = await client.products.get_products_count_json()
        print(f"{count.count} products")

        # Paginate a list operation: 100 a page, pages fetched concurrently once the count is known.
        # Items are typed (Product | None here: the API may send a null item), so narrow them.
        names = [
            p.product.name
            async for p in client.paginate(get_products_json)
            if p is not None and isinstance(p.product, ProductFields)
        ]
        print(f"read {len(names)} products, first: {names[0]!r}")

        # Partial update: the body carries only what is set.
        first_id = fake.store.products.ids[0]
        updated = await client.products.put_products_id_json(
            first_id, body=ProductEdit(product=ProductEditFields(stock=3))
        )
        # Any field may be null (None) or absent (UNSET) in an answer: narrow before use.
        fields = updated.product
        if isinstance(fields, ProductFields):
            print(f"product {first_id}: stock now {fields.stock}, name kept {fields.name!r}")

        # Walk orders by id: correct even while orders are created or deleted meanwhile.
        order_ids = [
            o.order.id
            async for o in client.paginate_after(get_orders_after_id_json)
            if o is not None and isinstance(o.order, OrderFields)
        ]
        print(f"read {len(order_ids)} orders by id")

        # Typed errors.
        try:
            await client.products.get_products_id_json(10**9)
        except NotFoundError as error:
            print(f"not found, as expected: HTTP {error.status_code} ({error.operation})")


if __name__ == "__main__":
    asyncio.run(main())
