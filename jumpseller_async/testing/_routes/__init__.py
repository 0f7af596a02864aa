"""The route table of the fake: the 183 operations of the Jumpseller API, served from a Store.

One module per resource (or small family of resources) holds the handlers; ``_base``,
``_checks`` and ``_resource`` hold what they share. The table below is written out by hand (the
package must not need PyYAML at run time) in the order the router tries routes of equal
specificity; a test checks it against the spec codegen generates from (apis.guru's merged with
the official), and ``tests/fixtures/fake_routes.json`` freezes it, handlers included.
"""

from __future__ import annotations

from .._http import Handler
from ._base import PARTNER_PATHS
from ._checks import _typechecked
from ._resource import Resource
from .apps import (
    app_billing_cycle_dates,
    app_billing_cycle_orders,
    app_check_billing_cycle_order,
    app_install_status,
    app_install_status_by_store,
    jsapp_create,
    jsapp_delete,
    jsapp_get,
    jsapps_list,
)
from .categories import CATEGORIES
from .checkout import PAYMENT_METHODS, PROMOTIONS, SHIPPING_METHODS, TAXES, payment_method_create
from .countries import countries_list, country_get, municipalities_list, region_get, regions_list
from .custom_fields import (
    CHECKOUT_FIELDS,
    CUSTOM_FIELDS,
    select_option_create,
    select_option_delete,
    select_option_get,
    select_option_update,
    select_options_list,
)
from .customer_categories import (
    CUSTOMER_CATEGORIES,
    category_customer_remove,
    category_customers_add,
    category_customers_list,
    category_customers_remove,
)
from .customers import (
    CUSTOMERS,
    customer_by_email,
    customer_field_create,
    customer_field_delete,
    customer_field_get,
    customer_field_update,
    customer_fields_list,
    customer_orders,
    customer_orders_status,
    customers_search,
)
from .documents import (
    documents_list,
    order_document_create,
    order_document_delete,
    order_document_update,
    order_documents_list,
)
from .fulfillments import (
    FULFILLMENTS,
    fulfillment_create,
    fulfillment_label,
    fulfillment_rates,
    fulfillment_update,
    order_fulfillments,
)
from .hooks import HOOKS
from .locations import LOCATIONS, products_locations_get, products_locations_put
from .orders import (
    ORDERS,
    cart_get,
    order_create,
    order_history_create,
    order_history_list,
    order_update,
    orders_after,
    orders_search,
    orders_status,
)
from .pages import (
    PAGES,
    page_image_create,
    page_image_delete,
    page_image_get,
    page_image_update,
    page_images_count,
    page_images_list,
)
from .partners import partner_store_create, partner_store_status, partner_stores
from .product_parts import (
    ATTACHMENTS,
    DIGITAL,
    IMAGES,
    OPTIONS,
    VARIANTS,
    ProductSub,
    option_value_create,
    option_value_delete,
    option_value_get,
    option_value_update,
    option_values_count,
    option_values_list,
    product_field_create,
    product_field_delete,
    product_field_update,
    product_fields_count,
    product_fields_list,
    product_image_move,
)
from .products import (
    PRODUCTS,
    products_after,
    products_category,
    products_category_count,
    products_search,
    products_status,
    products_status_count,
)
from .reviews import product_reviews_list, review_get, reviews_list
from .store import ledger_balance, store_info, store_languages, store_setup

__all__ = ["PARTNER_PATHS", "ROUTES"]


def _crud(
    prefix: str, res: Resource, ops: str, *, count: bool = False
) -> list[tuple[str, str, Handler]]:
    """Routes for ``L``ist, ``C``reate, ``G``et, ``U``pdate, ``D``elete (as given in ops)."""
    rows: list[tuple[str, str, Handler]] = []
    if "L" in ops:
        rows.append(("GET", f"{prefix}.json", res.list))
    if "C" in ops:
        rows.append(("POST", f"{prefix}.json", res.create))
    if count:
        rows.append(("GET", f"{prefix}/count.json", res.count))
    if "G" in ops:
        rows.append(("GET", f"{prefix}/{{id}}.json", res.get))
    if "U" in ops:
        rows.append(("PUT", f"{prefix}/{{id}}.json", res.update))
    if "D" in ops:
        rows.append(("DELETE", f"{prefix}/{{id}}.json", res.delete))
    return rows


def _product_sub(name: str, sub: ProductSub, ops: str) -> list[tuple[str, str, Handler]]:
    base = f"/products/{{id}}/{name}"
    rows: list[tuple[str, str, Handler]] = [
        ("GET", f"{base}.json", sub.list),
        ("POST", f"{base}.json", sub.create),
        ("GET", f"{base}/count.json", sub.count),
        ("GET", f"{base}/{{{sub.param}}}.json", sub.get),
        ("DELETE", f"{base}/{{{sub.param}}}.json", sub.delete),
    ]
    if "U" in ops:
        rows.append(("PUT", f"{base}/{{{sub.param}}}.json", sub.update))
    return [r for r in rows if r[0] != "DELETE" or "D" in ops]


_TABLE: list[tuple[str, str, Handler]] = [
    *_crud("/categories", CATEGORIES, "LCGUD", count=True),
    *_crud("/checkout_custom_fields", CHECKOUT_FIELDS, "LCGUD"),
    ("GET", "/countries.json", countries_list),
    ("GET", "/countries/{country_code}.json", country_get),
    ("GET", "/countries/{country_code}/regions.json", regions_list),
    ("GET", "/countries/{country_code}/regions/{region_code}.json", region_get),
    *_crud("/custom_fields", CUSTOM_FIELDS, "LCGUD"),
    ("GET", "/custom_fields/{id}/select_options.json", select_options_list),
    ("POST", "/custom_fields/{id}/select_options.json", select_option_create),
    (
        "GET",
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json",
        select_option_get,
    ),
    (
        "PUT",
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json",
        select_option_update,
    ),
    (
        "DELETE",
        "/custom_fields/{id}/select_options/{custom_field_select_option_id}.json",
        select_option_delete,
    ),
    *_crud("/customer_categories", CUSTOMER_CATEGORIES, "LCGUD"),
    ("GET", "/customer_categories/{id}/customers.json", category_customers_list),
    ("POST", "/customer_categories/{id}/customers.json", category_customers_add),
    ("DELETE", "/customer_categories/{id}/customers.json", category_customers_remove),
    *_crud("/customers", CUSTOMERS, "LCGUD", count=True),
    ("GET", "/customers/email/{email}.json", customer_by_email),
    ("GET", "/customers/{id}/fields", customer_fields_list),
    ("POST", "/customers/{id}/fields", customer_field_create),
    ("GET", "/customers/{id}/fields/{field_id}", customer_field_get),
    ("PUT", "/customers/{id}/fields/{field_id}", customer_field_update),
    ("DELETE", "/customers/{id}/fields/{field_id}", customer_field_delete),
    *_crud("/fulfillments", FULFILLMENTS, "LG", count=True),
    ("GET", "/order/{id}/fulfillments.json", order_fulfillments),
    *_crud("/hooks", HOOKS, "LCGUD"),
    ("GET", "/jsapps.json", jsapps_list),
    ("POST", "/jsapps.json", jsapp_create),
    ("GET", "/jsapps/{code}.json", jsapp_get),
    ("DELETE", "/jsapps/{code}.json", jsapp_delete),
    *_crud("/orders", ORDERS, "LG", count=True),
    ("POST", "/orders.json", order_create),
    ("PUT", "/orders/{id}.json", order_update),
    ("GET", "/orders/after/{id}.json", orders_after),
    ("GET", "/orders/status/{status}.json", orders_status),
    ("GET", "/orders/{id}/history.json", order_history_list),
    ("POST", "/orders/{id}/history.json", order_history_create),
    *_crud("/pages", PAGES, "LCGUD", count=True),
    ("GET", "/partners/stores.json", partner_stores),
    *_crud("/payment_methods", PAYMENT_METHODS, "LG"),
    *_crud("/products", PRODUCTS, "LCGUD", count=True),
    ("GET", "/products/after/{id}.json", products_after),
    ("GET", "/products/category/{category_id}.json", products_category),
    ("GET", "/products/category/{category_id}/count.json", products_category_count),
    ("GET", "/products/search.json", products_search),
    ("GET", "/products/status/{status}.json", products_status),
    ("GET", "/products/status/{status}/count.json", products_status_count),
    *_product_sub("attachments", ATTACHMENTS, "D"),
    *_product_sub("digital_products", DIGITAL, "D"),
    *_product_sub("images", IMAGES, "D"),
    *_product_sub("options", OPTIONS, "UD"),
    *_product_sub("variants", VARIANTS, "U"),
    ("GET", "/products/{id}/fields.json", product_fields_list),
    ("POST", "/products/{id}/fields.json", product_field_create),
    ("GET", "/products/{id}/fields/count.json", product_fields_count),
    ("PUT", "/products/{product_id}/fields/{field_id}.json", product_field_update),
    ("DELETE", "/products/{product_id}/fields/{field_id}.json", product_field_delete),
    ("GET", "/products/{id}/options/{option_id}/values.json", option_values_list),
    ("POST", "/products/{id}/options/{option_id}/values.json", option_value_create),
    ("GET", "/products/{id}/options/{option_id}/values/count.json", option_values_count),
    ("GET", "/products/{id}/options/{option_id}/values/{value_id}.json", option_value_get),
    ("PUT", "/products/{id}/options/{option_id}/values/{value_id}.json", option_value_update),
    ("DELETE", "/products/{id}/options/{option_id}/values/{value_id}.json", option_value_delete),
    *_crud("/promotions", PROMOTIONS, "LCGUD"),
    *_crud("/shipping_methods", SHIPPING_METHODS, "LCGUD"),
    ("GET", "/store/check_status.json", partner_store_status),
    ("POST", "/store/create.json", partner_store_create),
    ("GET", "/store/info.json", store_info),
    ("GET", "/store/languages.json", store_languages),
    *_crud("/taxes", TAXES, "LCG"),
]

# The 41 operations only Jumpseller's official spec documents, matched after the others.
_OFFICIAL: list[tuple[str, str, Handler]] = [
    ("GET", "/apps/{code}/install_status.json", app_install_status),
    ("GET", "/apps/{code}/install_status_by_store_id.json", app_install_status_by_store),
    ("GET", "/apps/{code}/billing_cycle_dates.json", app_billing_cycle_dates),
    ("GET", "/apps/{code}/billing_cycle_orders.json", app_billing_cycle_orders),
    ("GET", "/apps/{code}/check_billing_cycle_order.json", app_check_billing_cycle_order),
    ("GET", "/carts/{id}.json", cart_get),
    (
        "GET",
        "/countries/{country_code}/regions/{region_code}/municipalities.json",
        municipalities_list,
    ),
    ("DELETE", "/customer_categories/{id}/customers/{customer_id}.json", category_customer_remove),
    ("GET", "/customers/search.json", customers_search),
    ("GET", "/customers/{id}/orders.json", customer_orders),
    ("GET", "/customers/{id}/orders/status/{status}.json", customer_orders_status),
    ("GET", "/documents.json", documents_list),
    ("POST", "/fulfillments.json", fulfillment_create),
    ("POST", "/fulfillments/rates.json", fulfillment_rates),
    ("PUT", "/fulfillments/{id}.json", fulfillment_update),
    ("GET", "/fulfillments/{id}/label.json", fulfillment_label),
    ("GET", "/locations.json", LOCATIONS.list),
    ("POST", "/locations.json", LOCATIONS.create),
    ("GET", "/locations/{id}.json", LOCATIONS.get),
    ("PUT", "/locations/{id}.json", LOCATIONS.update),
    ("DELETE", "/locations/{id}.json", LOCATIONS.delete),
    ("GET", "/orders/search.json", orders_search),
    ("GET", "/orders/{id}/documents.json", order_documents_list),
    ("POST", "/orders/{id}/documents.json", order_document_create),
    ("PUT", "/orders/{id}/documents/{public_id}.json", order_document_update),
    ("DELETE", "/orders/{id}/documents/{public_id}.json", order_document_delete),
    ("GET", "/pages/{id}/images.json", page_images_list),
    ("POST", "/pages/{id}/images.json", page_image_create),
    ("GET", "/pages/{id}/images/count.json", page_images_count),
    ("GET", "/pages/{id}/images/{image_id}.json", page_image_get),
    ("PUT", "/pages/{id}/images/{image_id}.json", page_image_update),
    ("DELETE", "/pages/{id}/images/{image_id}.json", page_image_delete),
    ("POST", "/payment_methods.json", payment_method_create),
    ("GET", "/products/reviews.json", reviews_list),
    ("GET", "/products/reviews/{review_id}.json", review_get),
    ("GET", "/products/{id}/reviews.json", product_reviews_list),
    ("PUT", "/products/{product_id}/images/{image_id}.json", product_image_move),
    ("GET", "/products_locations", products_locations_get),
    ("PUT", "/products_locations", products_locations_put),
    ("POST", "/store/setup.json", store_setup),
    ("GET", "/transaction_ledger/balance.json", ledger_balance),
]


ROUTES: list[tuple[str, str, Handler]] = [
    (method, path, _typechecked(method, path, handler))
    for method, path, handler in [*_TABLE, *_OFFICIAL]
]
