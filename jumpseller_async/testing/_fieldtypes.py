"""Declared JSON types of the fields in each create/update body, from ``openapi.yaml``.

Generated once from the request-body schemas (the package must not need PyYAML at run
time); ``tests/test_fake_jumpseller.py`` rederives both tables from the spec and checks
they are equal, so they cannot drift. A field's type is its schema's ``type`` (through
``$ref``), ``"object"`` for a schema with ``properties`` and no ``type`` (the addresses),
``"array"`` for one with ``items`` and no ``type``; fields with none of these are left out.
"""

from __future__ import annotations

__all__ = ["BODIES", "FIELD_TYPES"]

BODIES: dict[tuple[str, str], tuple[str | None, str]] = {
    ("POST", "/categories.json"): ("category", "CategoryEditFields"),
    ("PUT", "/categories/{id}.json"): ("category", "CategoryEditFields"),
    ("POST", "/checkout_custom_fields.json"): (
        "checkout_custom_field",
        "CheckoutCustomFieldEditFields",
    ),
    ("PUT", "/checkout_custom_fields/{id}.json"): (
        "checkout_custom_field",
        "CheckoutCustomFieldEditFields",
    ),
    ("POST", "/custom_fields.json"): ("custom_field", "CustomFieldEditFields"),
    ("PUT", "/custom_fields/{id}.json"): ("custom_field", "CustomFieldEditFields"),
    ("POST", "/custom_fields/{id}/select_options.json"): (
        "custom_field_select_option",
        "CustomFieldSelectOptionEditFields",
    ),
    ("PUT", "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json"): (
        "custom_field_select_option",
        "CustomFieldSelectOptionEditFields",
    ),
    ("POST", "/customer_categories.json"): ("category", "CustomerCategoryEditFields"),
    ("PUT", "/customer_categories/{id}.json"): ("category", "CustomerCategoryEditFields"),
    ("POST", "/customer_categories/{id}/customers.json"): (None, "CustomersToCustomerCategory"),
    ("POST", "/customers.json"): ("customer", "CustomerFieldsWithPasswordNoID"),
    ("PUT", "/customers/{id}.json"): ("customer", "CustomerFieldsWithPasswordNoID"),
    ("POST", "/customers/{id}/fields"): (
        "customer_additional_field",
        "CustomerAdditionalFieldEditFields",
    ),
    ("PUT", "/customers/{id}/fields/{field_id}"): (
        "customer_additional_field",
        "CustomerAdditionalFieldEditFields",
    ),
    ("POST", "/hooks.json"): ("hook", "HookEditFields"),
    ("PUT", "/hooks/{id}.json"): ("hook", "HookEditFields"),
    ("POST", "/jsapps.json"): ("app", "JSApp"),
    ("POST", "/orders.json"): ("order", "OrderCreateFields"),
    ("PUT", "/orders/{id}.json"): ("order", "OrderEditFields"),
    ("POST", "/orders/{id}/history.json"): ("order_history", "OrderHistoryEditFields"),
    ("POST", "/pages.json"): ("page", "PageModifyFields"),
    ("PUT", "/pages/{id}.json"): ("page", "PageModifyFields"),
    ("POST", "/products.json"): ("product", "ProductEditFields"),
    ("PUT", "/products/{id}.json"): ("product", "ProductEditFields"),
    ("POST", "/products/{id}/attachments.json"): ("attachment", "AttachmentEditFields"),
    ("POST", "/products/{id}/digital_products.json"): (
        "digital_product",
        "DigitalProductEditFields",
    ),
    ("POST", "/products/{id}/fields.json"): ("field", "AddProductCustomFieldFields"),
    ("POST", "/products/{id}/images.json"): ("image", "ImageEditFields"),
    ("POST", "/products/{id}/options.json"): ("option", "ProductOptionEditFields"),
    ("PUT", "/products/{id}/options/{option_id}.json"): ("option", "ProductOptionEditFields"),
    ("POST", "/products/{id}/options/{option_id}/values.json"): (
        "value",
        "ProductOptionValueEditFields",
    ),
    ("PUT", "/products/{id}/options/{option_id}/values/{value_id}.json"): (
        "value",
        "ProductOptionValueEditFields",
    ),
    ("POST", "/products/{id}/variants.json"): ("variant", "VariantEditFields"),
    ("PUT", "/products/{id}/variants/{variant_id}.json"): ("variant", "VariantEditFields"),
    ("POST", "/promotions.json"): ("promotion", "PromotionEditFields"),
    ("PUT", "/promotions/{id}.json"): ("promotion", "PromotionEditFields"),
    ("POST", "/shipping_methods.json"): ("shipping_method", "ShippingMethodEdit.shipping_method"),
    ("PUT", "/shipping_methods/{id}.json"): (
        "shipping_method",
        "ShippingMethodEdit.shipping_method",
    ),
    ("POST", "/store/create.json"): (None, "PartnerStoreCreate"),
    ("POST", "/taxes.json"): ("tax", "TaxEditFields"),
}
"""``(METHOD, path)`` -> ``(wrapper, schema)``: the key the body wraps its fields in (None:
the fields are the body itself) and the schema that declares them."""

FIELD_TYPES: dict[str, dict[str, str]] = {
    "AddProductCustomFieldFields": {
        "id": "integer",
        "value": "string",
    },
    "AttachmentEditFields": {
        "filename": "string",
        "url": "string",
    },
    "CategoryEditFields": {
        "name": "string",
        "parent_id": "integer",
    },
    "CheckoutCustomFieldEditFields": {
        "area": "string",
        "custom_field_select_options": "array",
        "deletable": "boolean",
        "label": "string",
        "position": "integer",
        "required": "boolean",
        "type": "string",
    },
    "CustomFieldEditFields": {
        "label": "string",
        "type": "string",
        "values": "array",
    },
    "CustomFieldSelectOptionEditFields": {
        "value": "string",
    },
    "CustomerAdditionalFieldEditFields": {
        "checkout_custom_field_id": "integer",
        "value": "string",
    },
    "CustomerCategoryEditFields": {
        "name": "string",
    },
    "CustomerFieldsWithPasswordNoID": {
        "billing_address": "object",
        "customer_category": "array",
        "email": "string",
        "password": "string",
        "phone": "string",
        "shipping_address": "object",
        "status": "string",
    },
    "CustomersToCustomerCategory": {
        "customers": "array",
    },
    "DigitalProductEditFields": {
        "filename": "string",
        "url": "string",
    },
    "HookEditFields": {
        "event": "string",
        "url": "string",
    },
    "ImageEditFields": {
        "url": "string",
    },
    "JSApp": {
        "element": "string",
        "template": "string",
        "url": "string",
    },
    "OrderCreateFields": {
        "customer": "object",
        "products": "array",
        "shipping_method_id": "integer",
        "shipping_method_name": "string",
        "shipping_price": "number",
        "status": "string",
    },
    "OrderEditFields": {
        "additional_fields": "array",
        "additional_information": "string",
        "shipment_status": "string",
        "status": "string",
        "tracking_company": "string",
        "tracking_number": "string",
        "tracking_url": "string",
    },
    "OrderHistoryEditFields": {
        "message": "string",
    },
    "PageModifyFields": {
        "body": "string",
        "categories": "array",
        "image": "object",
        "meta_description": "string",
        "page_title": "string",
        "permalink": "string",
        "status": "string",
        "template": "integer",
        "title": "string",
    },
    "PartnerStoreCreate": {
        "aff": "string",
        "email": "string",
        "locale": "string",
        "password": "string",
        "plan_name": "string",
        "reject_duplicates": "boolean",
        "store_name": "string",
    },
    "ProductEditFields": {
        "barcode": "string",
        "categories": "array",
        "description": "string",
        "diameter": "number",
        "featured": "boolean",
        "google_product_category": "string",
        "height": "number",
        "length": "number",
        "meta_description": "string",
        "name": "string",
        "package_format": "string",
        "page_title": "string",
        "permalink": "string",
        "price": "number",
        "shipping_required": "boolean",
        "sku": "string",
        "status": "string",
        "stock": "integer",
        "stock_unlimited": "boolean",
        "weight": "number",
        "width": "number",
    },
    "ProductOptionEditFields": {
        "name": "string",
        "option_type": "string",
        "position": "integer",
    },
    "ProductOptionValueEditFields": {
        "name": "string",
        "position": "integer",
    },
    "PromotionEditFields": {
        "begins_at": "string",
        "buys_at_least": "string",
        "categories": "array",
        "code": "string",
        "condition_price": "number",
        "condition_qty": "integer",
        "cumulative": "boolean",
        "customer_categories": "array",
        "customers": "string",
        "discount_amount_fix": "number",
        "discount_amount_percent": "number",
        "discount_target": "string",
        "enabled": "boolean",
        "expires_at": "string",
        "lasts": "string",
        "max_times_used": "integer",
        "name": "string",
        "products": "array",
        "products_x": "array",
        "quantity_x": "integer",
        "type": "string",
    },
    "ShippingMethodEdit.shipping_method": {
        "callback_url": "string",
        "city": "string",
        "fetch_services_url": "string",
        "name": "string",
        "postal": "string",
        "state": "string",
        "token": "string",
    },
    "TaxEditFields": {
        "category_id": "integer",
        "country": "string",
        "fixed": "boolean",
        "name": "string",
        "region": "string",
        "shipping": "boolean",
        "tax": "number",
    },
    "VariantEditFields": {
        "image_id": "integer",
        "options": "array",
        "price": "number",
        "sku": "string",
        "stock": "integer",
        "stock_unlimited": "boolean",
    },
}
"""Schema name -> field -> ``string``, ``integer``, ``number``, ``boolean``, ``object``, ``array``."""
