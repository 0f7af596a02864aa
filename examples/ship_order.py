"""Ship a paid order: pick a stock location, create a fulfillment with a tracking number, then
follow it. Runs offline against the fake Jumpseller; point the client at a real store to use it.

Tracking on the order itself is read-only: ``POST /fulfillments.json`` (from Jumpseller's
official spec) is the way to set it.
"""

from __future__ import annotations

import asyncio

import httpx

from jumpseller_async import JumpsellerClient
from jumpseller_async.models import (
    FulfillmentCreate,
    FulfillmentCreateFields,
    FulfillmentEdit,
    FulfillmentEditFields,
    FulfillmentEditFieldsShipmentStatus,
    FulfillmentFields,
    OrderFields,
    PickupLocationFields,
)
from jumpseller_async.testing import FakeJumpseller


async def main() -> None:
    fake = FakeJumpseller(seed=1, orders=20, latency=0.0)
    paid = next(o["id"] for o in fake.store.orders if o["status"] == "Paid")
    async with JumpsellerClient(
        fake.login,
        fake.authtoken,
        base_url="http://fake/v1",
        transport=httpx.ASGITransport(app=fake),
    ) as client:
        locations = await client.pickup_locations.get_locations_json()
        # Any list item may be null: narrow before use.
        mains = [
            item.location
            for item in locations
            if item is not None
            and isinstance(item.location, PickupLocationFields)
            and item.location.main
        ]
        origin = mains[0] if mains else None
        print(f"shipping from: {origin.name if origin else 'the default location'}")

        created = await client.fulfillments.post_fulfillments_json(
            body=FulfillmentCreate(
                fulfillment=FulfillmentCreateFields(
                    order_id=str(paid),
                    tracking_number="TRK-000042",
                    tracking_company="Starken",
                    tracking_url="https://tracking.example.com/TRK-000042",
                )
            )
        )
        # The answer's wrapper is "order_fulfillment" on live stores, "fulfillment" in the
        # official spec: the model has both, whichever arrived is set.
        fulfillment = next(
            (
                f
                for f in (created.order_fulfillment, created.fulfillment)
                if isinstance(f, FulfillmentFields)
            ),
            None,
        )
        if fulfillment is None or not isinstance(fulfillment.id, int):
            raise SystemExit("the store did not answer a fulfillment")
        print(f"fulfillment {fulfillment.id}: {fulfillment.shipment_status}")

        await client.fulfillments.put_fulfillments_id_json(
            fulfillment.id,
            body=FulfillmentEdit(
                fulfillment=FulfillmentEditFields(
                    shipment_status=FulfillmentEditFieldsShipmentStatus.IN_TRANSIT
                )
            ),
        )
        order = (await client.orders.get_orders_id_json(paid)).order
        if isinstance(order, OrderFields):
            print(f"order {paid}: {order.shipment_status}, tracking {order.tracking_number}")


if __name__ == "__main__":
    asyncio.run(main())
