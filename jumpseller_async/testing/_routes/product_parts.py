"""What a product holds: variants, images, attachments, digital products, options and their
values, custom field values (``/products/{id}/...``), kept on the product record.
"""

from __future__ import annotations

from collections.abc import Callable

from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int, public, stamp
from ._base import _clean, _count, _deleted, _fields, _find, _merge, _ok, _wrap
from ._checks import _type_errors, _unprocessable
from .products import PRODUCTS, _new_variant, _product

__all__ = [
    "ATTACHMENTS",
    "DIGITAL",
    "IMAGES",
    "OPTIONS",
    "VARIANTS",
    "ProductSub",
    "option_value_create",
    "option_value_delete",
    "option_value_get",
    "option_value_update",
    "option_values_count",
    "option_values_list",
    "product_field_create",
    "product_field_delete",
    "product_field_update",
    "product_fields_count",
    "product_fields_list",
    "product_image_move",
]


def _sync_stock(product: Record) -> None:
    variants = product.get("variants") or []
    if variants:
        product["stock"] = sum(as_int(v.get("stock")) or 0 for v in variants)


class ProductSub:
    """A list of sub-resources kept on the product record (``key``)."""

    def __init__(
        self,
        key: str,
        wrapper: str,
        label: str,
        kind: str,
        param: str,
        make: Callable[[Store, Record, Record], Record],
    ) -> None:
        self.key = key
        self.wrapper = wrapper
        self.label = label
        self.kind = kind
        self.param = param
        self.make = make

    def list(self, req: Request) -> Response:
        return _ok([_wrap(self.wrapper, public(i)) for i in _product(req).get(self.key, [])])

    def count(self, req: Request) -> Response:
        return _count(len(_product(req).get(self.key, [])))

    def get(self, req: Request) -> Response:
        item = _find(
            _product(req).get(self.key, []), as_int(req.params.get(self.param)), self.label
        )
        return _ok(_wrap(self.wrapper, public(item)))

    def create(self, req: Request) -> Response:
        fields = _fields(req, self.wrapper)
        product = _product(req, write=True)
        item = self.make(req.store, product, fields)
        product.setdefault(self.key, []).append(item)
        _sync_stock(product)
        stamp(product, "updated_at")
        return _ok(_wrap(self.wrapper, public(item)), req.create_status)

    def update(self, req: Request) -> Response:
        _find(_product(req).get(self.key, []), as_int(req.params.get(self.param)), self.label)
        fields = _fields(req, self.wrapper)
        product = _product(req, write=True)
        item = _find(product.get(self.key, []), as_int(req.params.get(self.param)), self.label)
        if self.key == "variants" and "image_id" in fields:
            image_id = as_int(fields.pop("image_id"))
            item["image"] = next(
                (dict(i) for i in product.get("images", []) if i.get("id") == image_id), None
            )
        fields.pop("values", None)
        _merge(item, fields)
        _sync_stock(product)
        stamp(product, "updated_at")
        return _ok(_wrap(self.wrapper, public(item)))

    def delete(self, req: Request) -> Response:
        _find(_product(req).get(self.key, []), as_int(req.params.get(self.param)), self.label)
        product = _product(req, write=True)
        item_id = as_int(req.params.get(self.param))
        product[self.key] = [i for i in product.get(self.key, []) if i.get("id") != item_id]
        if self.key == "images":
            for variant in product.get("variants", []):
                if isinstance(variant.get("image"), dict) and variant["image"].get("id") == item_id:
                    variant["image"] = None
        _sync_stock(product)
        stamp(product, "updated_at")
        return _deleted(self.label)


def _make_image(store: Store, product: Record, fields: Record) -> Record:
    if not fields.get("url"):
        raise HTTPError(422, "Url can't be blank")
    return {
        "id": store.next_sub_id("image"),
        "position": len(product.get("images", [])),
        "url": fields["url"],
    }


def _file_url(store: Store, fields: Record) -> str:
    url = fields.get("url")
    if url:
        return str(url)
    name = fields.get("filename")
    if not name:
        raise HTTPError(422, "Either url or filename must be given")
    return f"https://files.jumpseller.com/{store.info['code']}/{name}"


def _make_attachment(store: Store, product: Record, fields: Record) -> Record:
    return {"id": store.next_sub_id("attachment"), "url": _file_url(store, fields)}


def _make_digital(store: Store, product: Record, fields: Record) -> Record:
    return {
        "id": store.next_sub_id("digital_product"),
        "url": _file_url(store, fields),
        "expiration_seconds": fields.get("expiration_seconds"),
        "external": bool(fields.get("url")),
    }


def _make_option(store: Store, product: Record, fields: Record) -> Record:
    if not fields.get("name"):
        raise HTTPError(422, "Name can't be blank")
    return {
        "id": store.next_sub_id("option"),
        "name": fields["name"],
        "position": fields.get("position", len(product.get("_options", []))),
        "option_type": fields.get("option_type") or "option",
        "addon_price": fields.get("addon_price"),
        "values": [],
    }


VARIANTS = ProductSub("variants", "variant", "Variant", "variant", "variant_id", _new_variant)
IMAGES = ProductSub("images", "image", "Image", "image", "image_id", _make_image)
ATTACHMENTS = ProductSub(
    "_attachments", "attachment", "Attachment", "attachment", "attachment_id", _make_attachment
)
DIGITAL = ProductSub(
    "digital_products",
    "digital_product",
    "Digital product",
    "digital_product",
    "digital_product_id",
    _make_digital,
)
OPTIONS = ProductSub("_options", "option", "Option", "option", "option_id", _make_option)


def _option(req: Request, *, write: bool = False) -> tuple[Record, Record]:
    product = _product(req, write=write)
    option = _find(product.get("_options", []), as_int(req.params.get("option_id")), "Option")
    return product, option


def option_values_list(req: Request) -> Response:
    return _ok([_wrap("value", dict(v)) for v in _option(req)[1].get("values", [])])


def option_values_count(req: Request) -> Response:
    return _count(len(_option(req)[1].get("values", [])))


def option_value_get(req: Request) -> Response:
    value = _find(
        _option(req)[1].get("values", []), as_int(req.params.get("value_id")), "Option value"
    )
    return _ok(_wrap("value", dict(value)))


def option_value_create(req: Request) -> Response:
    _option(req)
    fields = _fields(req, "value")
    if not fields.get("name"):
        raise HTTPError(422, "Name can't be blank")
    product, option = _option(req, write=True)
    values = option.setdefault("values", [])
    value = {
        "id": req.store.next_sub_id("option_value"),
        "name": fields["name"],
        "custom": fields.get("custom"),
        "position": fields.get("position", len(values)),
    }
    values.append(value)
    stamp(product, "updated_at")
    return _ok(_wrap("value", dict(value)), req.create_status)


def option_value_update(req: Request) -> Response:
    _find(_option(req)[1].get("values", []), as_int(req.params.get("value_id")), "Option value")
    fields = _fields(req, "value")
    product, option = _option(req, write=True)
    value = _find(option.get("values", []), as_int(req.params.get("value_id")), "Option value")
    _merge(value, fields)
    stamp(product, "updated_at")
    return _ok(_wrap("value", dict(value)))


def option_value_delete(req: Request) -> Response:
    _find(_option(req)[1].get("values", []), as_int(req.params.get("value_id")), "Option value")
    product, option = _option(req, write=True)
    value_id = as_int(req.params.get("value_id"))
    option["values"] = [v for v in option.get("values", []) if v.get("id") != value_id]
    stamp(product, "updated_at")
    return _deleted("Option value")


def product_fields_list(req: Request) -> Response:
    return _ok([_wrap("field", dict(f)) for f in _product(req).get("_fields", [])])


def product_fields_count(req: Request) -> Response:
    return _count(len(_product(req).get("_fields", [])))


def product_field_create(req: Request) -> Response:
    _product(req)
    fields = _fields(req, "field")
    custom_field = req.store.custom_fields.get(
        as_int(fields.get("id") or fields.get("custom_field_id")) or -1
    )
    if custom_field is None:
        raise HTTPError(404, "Custom field not found")
    value = fields.get("value")
    option = next((o for o in custom_field.get("_options", []) if o.get("value") == value), None)
    product = _product(req, write=True)
    product.setdefault("_fields", []).append(
        {
            "id": req.store.next_sub_id("product_field"),
            "custom_field_id": custom_field["id"],
            "type": custom_field.get("type"),
            "label": custom_field.get("label"),
            "value": value,
            "value_id": str(option["id"]) if option else None,
            "variant_id": as_int(fields.get("variant_id")),
        }
    )
    stamp(product, "updated_at")
    # Both specs agree: adding a field answers with the whole product.
    return _ok(PRODUCTS.out(req, product), req.create_status)


def _product_field(req: Request, product: Record) -> Record:
    wanted = as_int(req.params.get("field_id"))
    items: list[Record] = product.get("_fields", [])
    # The path id may be the field's own id or its custom field's id: accept both.
    for key in ("id", "custom_field_id"):
        for item in items:
            if item.get(key) == wanted:
                return item
    raise HTTPError(404, "Field not found")


# The spec gives this operation no body; what clients send is checked as the POST's fields.
_PRODUCT_FIELD_TYPES = {"value": "string", "variant_id": "integer"}


def product_field_update(req: Request) -> Response:
    _product_field(req, _product(req, "product_id"))
    body: Record = req.body if isinstance(req.body, dict) else {}
    inner: Record = body["field"] if isinstance(body.get("field"), dict) else body
    changes = _clean({k: v for k, v in inner.items() if k in _PRODUCT_FIELD_TYPES})
    errors = _type_errors(changes, _PRODUCT_FIELD_TYPES)
    if errors:
        raise _unprocessable(errors)
    product = _product(req, "product_id", write=True)
    item = _product_field(req, product)
    _merge(item, changes)
    stamp(product, "updated_at")
    return _ok(_wrap("field", dict(item)))


def product_field_delete(req: Request) -> Response:
    _product_field(req, _product(req, "product_id"))
    product = _product(req, "product_id", write=True)
    item = _product_field(req, product)
    product["_fields"] = [f for f in product.get("_fields", []) if f is not item]
    stamp(product, "updated_at")
    return _deleted("Field")


def product_image_move(req: Request) -> Response:
    """PUT ...images/{image_id}.json?position=N: the image moves, the others close ranks."""
    position = as_int(req.arg("position"))
    if position is None or position < 0:
        raise HTTPError(400, "position must be an integer >= 0")
    image_id = as_int(req.params.get("image_id"))
    if not any(i.get("id") == image_id for i in _product(req, "product_id").get("images", [])):
        raise HTTPError(404, "Image not found")
    product = _product(req, "product_id", write=True)
    images = list(product.get("images", []))
    moving = next(i for i in images if i.get("id") == image_id)
    images.remove(moving)
    images.insert(min(position, len(images)), moving)
    for n, image in enumerate(images):
        image["position"] = n
    product["images"] = images
    stamp(product, "updated_at")
    return _ok(_wrap("image", public(moving)))
