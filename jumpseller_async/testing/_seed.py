"""Deterministic, lazily generated store data.

Every seeded item is a pure function of ``(seed, kind, index)``: nothing is generated until
somebody reads it, so a store of a million products costs an ``array`` of ids, not a million
dicts. Fields that list filters need (status, categories, name, ...) come from "light"
functions built on a stateless hash, so a filter can scan many items without building them
and full generators can call light ones without disturbing their own random stream.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Record = dict[str, Any]

_MASK = (1 << 64) - 1

# Id layout. Seeded ids are ``base + index * stride``; gaps make ids look like a real
# shared database and keep "index" and "id" from being confused in tests.
CATEGORY_BASE, CATEGORY_STRIDE = 210_001, 1
PRODUCT_BASE, PRODUCT_STRIDE = 10_000_001, 3
CUSTOMER_BASE, CUSTOMER_STRIDE = 5_000_001, 2
ORDER_BASE, ORDER_STRIDE = 1_001, 1
FULFILLMENT_BASE, FULFILLMENT_STRIDE = 300_001, 1

# Sub-resources: a fixed number of slots per parent index.
VARIANT_BASE, VARIANT_SLOTS = 40_000_000, 8
IMAGE_BASE, IMAGE_SLOTS = 60_000_000, 4
OPTION_BASE, OPTION_SLOTS = 80_000_000, 2
OPTION_VALUE_BASE, OPTION_VALUE_SLOTS = 90_000_000, 8
DIGITAL_PRODUCT_BASE = 70_000_000
ATTACHMENT_BASE = 75_000_000
PRODUCT_FIELD_BASE = 77_000_000
HISTORY_BASE, HISTORY_SLOTS = 20_000_000, 4
CUSTOMER_FIELD_BASE = 30_000_000

# Small collections seeded eagerly, in this order, from these bases.
PAGE_BASE = 9_001
PROMOTION_BASE = 8_001
HOOK_BASE = 7_001
PAYMENT_METHOD_BASE = 6_001
SHIPPING_METHOD_BASE = 5_001
TAX_BASE = 4_501
CUSTOM_FIELD_BASE = 4_001
SELECT_OPTION_BASE = 3_501
CHECKOUT_FIELD_BASE = 3_001
CUSTOMER_CATEGORY_BASE = 2_501
JSAPP_BASE = 2_001
APP_BASE = 1_501
LOCATION_BASE = 600_001
REVIEW_BASE = 610_001
PAGE_IMAGE_BASE = 620_001

PRODUCT_STATUSES = ("available", "not-available", "disabled")
ORDER_STATUSES = ("Abandoned", "Canceled", "Pending Payment", "Paid")
SHIPMENT_STATUSES = {
    "delivered": "Delivered",
    "requested": "Requested",
    "in_transit": "In Transit",
    "failed": "Failed",
    "pickup_available": "Pickup Available",
    "unfulfilled": "Unfulfilled",
}

# The dataset's "today": seeded timestamps never move with the wall clock.
_DATA_START = dt.datetime(2021, 3, 1, tzinfo=dt.timezone.utc)
_DATA_NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.timezone.utc)
_ORDERS_START = dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc)


def mix(*parts: int) -> int:
    """Stateless 64-bit hash of integers (splitmix64 finaliser per part)."""
    x = 0x9E3779B97F4A7C15
    for part in parts:
        x = ((x ^ (part & _MASK)) * 0xBF58476D1CE4E5B9) & _MASK
        x ^= x >> 31
    x = (x * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 29)


def iso_z(moment: dt.datetime) -> str:
    """Timestamp format of most resources: ``2024-03-05T12:34:56.000Z``."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def order_time(moment: dt.datetime) -> str:
    """Orders use their own format: ``2025-01-01 10:18:51 UTC``."""
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


@dataclass(frozen=True)
class Locale:
    currency: str
    country: str
    country_name: str
    timezone: str
    price_scale: int
    decimals: int
    language: str
    phone_prefix: str
    tax_name: str
    tax_rate: float
    cities: tuple[tuple[str, str, str], ...]
    """(city, region name, region code)"""
    couriers: tuple[str, ...]


LOCALES = (
    Locale(
        "CLP",
        "CL",
        "Chile",
        "America/Santiago",
        1000,
        0,
        "es",
        "+56",
        "IVA",
        19.0,
        (
            ("Santiago", "Región Metropolitana de Santiago", "RM"),
            ("Viña del Mar", "Valparaíso", "VS"),
            ("Concepción", "Biobío", "BI"),
            ("Antofagasta", "Antofagasta", "AN"),
        ),
        ("Starken", "Chilexpress", "Blue Express", "Correos de Chile"),
    ),
    Locale(
        "EUR",
        "PT",
        "Portugal",
        "Europe/Lisbon",
        1,
        2,
        "pt",
        "+351",
        "IVA",
        23.0,
        (("Lisboa", "Lisboa", "11"), ("Porto", "Porto", "13"), ("Faro", "Faro", "08")),
        ("CTT", "DPD", "GLS"),
    ),
    Locale(
        "USD",
        "US",
        "United States",
        "America/New_York",
        1,
        2,
        "en",
        "+1",
        "Sales Tax",
        8.875,
        (
            ("New York", "New York", "NY"),
            ("Austin", "Texas", "TX"),
            ("Oakland", "California", "CA"),
        ),
        ("USPS", "UPS", "FedEx"),
    ),
    Locale(
        "BRL",
        "BR",
        "Brazil",
        "America/Sao_Paulo",
        5,
        2,
        "pt",
        "+55",
        "ICMS",
        17.0,
        (
            ("São Paulo", "São Paulo", "SP"),
            ("Rio de Janeiro", "Rio de Janeiro", "RJ"),
            ("Belo Horizonte", "Minas Gerais", "MG"),
        ),
        ("Correios", "Jadlog", "Loggi"),
    ),
    Locale(
        "MXN",
        "MX",
        "Mexico",
        "America/Mexico_City",
        20,
        2,
        "es",
        "+52",
        "IVA",
        16.0,
        (
            ("Ciudad de México", "Ciudad de México", "CMX"),
            ("Guadalajara", "Jalisco", "JAL"),
            ("Monterrey", "Nuevo León", "NLE"),
        ),
        ("Estafeta", "DHL", "Paquetexpress"),
    ),
)

COUNTRIES: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "AR": (
        "Argentina",
        (("B", "Buenos Aires"), ("C", "Ciudad Autónoma de Buenos Aires"), ("X", "Córdoba")),
    ),
    "BR": ("Brazil", (("SP", "São Paulo"), ("RJ", "Rio de Janeiro"), ("MG", "Minas Gerais"))),
    "CL": (
        "Chile",
        (
            ("RM", "Región Metropolitana de Santiago"),
            ("VS", "Valparaíso"),
            ("BI", "Biobío"),
            ("AN", "Antofagasta"),
        ),
    ),
    "CO": ("Colombia", (("DC", "Bogotá"), ("ANT", "Antioquia"), ("VAC", "Valle del Cauca"))),
    "ES": ("Spain", (("MD", "Madrid"), ("CT", "Cataluña"), ("AN", "Andalucía"))),
    "MX": ("Mexico", (("CMX", "Ciudad de México"), ("JAL", "Jalisco"), ("NLE", "Nuevo León"))),
    "PE": ("Peru", (("LIM", "Lima"), ("CUS", "Cusco"), ("ARE", "Arequipa"))),
    "PT": ("Portugal", (("11", "Lisboa"), ("13", "Porto"), ("08", "Faro"))),
    "US": ("United States", (("CA", "California"), ("NY", "New York"), ("TX", "Texas"))),
}

LANGUAGES = {"es": "Español", "en": "English", "pt": "Português", "fr": "Français"}

_FIRST = (
    "Ana",
    "Camila",
    "Valentina",
    "Sofía",
    "Isabel",
    "María",
    "Javiera",
    "Beatriz",
    "Laura",
    "Emma",
    "Olivia",
    "Mariana",
    "Lucía",
    "Fernanda",
    "Carla",
    "Juan",
    "Diego",
    "Matías",
    "Benjamín",
    "Tomás",
    "Pedro",
    "João",
    "Miguel",
    "Lucas",
    "Gabriel",
    "Daniel",
    "James",
    "Noah",
    "Felipe",
    "Andrés",
    "Rodrigo",
    "Carlos",
)
_LAST = (
    "González",
    "Muñoz",
    "Rojas",
    "Díaz",
    "Pérez",
    "Soto",
    "Contreras",
    "Silva",
    "Martínez",
    "Sepúlveda",
    "Morales",
    "Rodríguez",
    "López",
    "Fuentes",
    "Hernández",
    "Torres",
    "Araya",
    "Flores",
    "Espinoza",
    "Costa",
    "Santos",
    "Oliveira",
    "Ferreira",
    "Smith",
    "Johnson",
    "Brown",
    "García",
    "Ramírez",
    "Castro",
    "Vargas",
)
_MAIL_DOMAINS = (
    "gmail.com",
    "hotmail.com",
    "yahoo.com",
    "outlook.com",
    "icloud.com",
    "example.com",
)
_ADJECTIVES = (
    "Classic",
    "Organic",
    "Vintage",
    "Premium",
    "Handmade",
    "Everyday",
    "Slim",
    "Soft",
    "Rustic",
    "Urban",
    "Eco",
    "Deluxe",
    "Compact",
    "Essential",
    "Bold",
    "Nordic",
)
_NOUNS = (
    "T-Shirt",
    "Hoodie",
    "Sneakers",
    "Backpack",
    "Mug",
    "Candle",
    "Notebook",
    "Water Bottle",
    "Scarf",
    "Cap",
    "Tote Bag",
    "Wallet",
    "Sunglasses",
    "Socks",
    "Jacket",
    "Lamp",
    "Cushion",
    "Tea Set",
    "Phone Case",
    "Watch",
)
_MATERIALS = (
    "cotton",
    "wool",
    "leather",
    "linen",
    "bamboo",
    "recycled polyester",
    "ceramic",
    "oak",
)
_BRANDS = ("Andes Co.", "Pacífico", "Norte Studio", "Lumen", "Atacama Goods", "Brisa", "Kallfu")
_CATEGORY_NAMES = (
    "Clothing",
    "Shoes",
    "Accessories",
    "Home",
    "Kitchen",
    "Stationery",
    "Outdoor",
    "Beauty",
    "T-Shirts",
    "Sneakers",
    "Bags",
    "Candles",
    "Mugs",
    "Jackets",
    "Lamps",
    "Gifts",
)
_SIZES = ("S", "M", "L", "XL", "XXL", "XS", "3XL", "4XL")
_COLORS = ("Black", "White", "Red", "Navy", "Green", "Grey", "Sand", "Pink")
_STREETS = (
    "Av. Providencia",
    "Rua Augusta",
    "Main St",
    "Calle Mayor",
    "Av. Paulista",
    "Av. Reforma",
)
_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0 Mobile Safari/537.36",
)

# Salts keep the hash streams of different fields independent.
_S_PRODUCT, _S_PRODUCT_FULL, _S_CUSTOMER, _S_CUSTOMER_FULL = 11, 12, 21, 22
_S_ORDER, _S_ORDER_FULL, _S_FULFILLMENT, _S_CATEGORY = 31, 32, 41, 51


class Seeder:
    """Generates seeded items on demand; the same seed always gives the same store."""

    def __init__(
        self,
        seed: int,
        *,
        login: str,
        products: int,
        customers: int,
        orders: int,
        categories: int,
        quirks: bool = True,
    ) -> None:
        self.seed = seed
        self.login = login
        self.n_products = products
        self.n_customers = customers
        self.n_orders = orders
        self.n_categories = categories
        self.n_fulfillments = (orders + 1) // 2
        self.quirks = quirks
        self.locale = LOCALES[mix(seed, 1) % len(LOCALES)]
        self.base_url = f"https://{login}.jumpseller.com"
        self.hooks_token = f"{mix(seed, 2):016x}{mix(seed, 3):016x}"
        self._rng = random.Random()
        self._bases: dict[tuple[int, int], int] = {}

    # -- ids -------------------------------------------------------------------------------

    def _h(self, salt: int, index: int, field: int) -> int:
        # One finaliser round over a cached per-field base: filters compute light
        # attributes for every item they scan, so this is the hot path of big stores.
        base = self._bases.get((salt, field))
        if base is None:
            base = self._bases[(salt, field)] = mix(self.seed, salt, field)
        x = ((base ^ index) * 0xBF58476D1CE4E5B9) & _MASK
        x ^= x >> 31
        x = (x * 0x94D049BB133111EB) & _MASK
        return x ^ (x >> 29)

    @staticmethod
    def product_id(index: int) -> int:
        return PRODUCT_BASE + index * PRODUCT_STRIDE

    @staticmethod
    def customer_id(index: int) -> int:
        return CUSTOMER_BASE + index * CUSTOMER_STRIDE

    @staticmethod
    def order_id(index: int) -> int:
        return ORDER_BASE + index * ORDER_STRIDE

    @staticmethod
    def category_id(index: int) -> int:
        return CATEGORY_BASE + index * CATEGORY_STRIDE

    # -- money -----------------------------------------------------------------------------

    def _price(self, units: float) -> float:
        loc = self.locale
        value = units * loc.price_scale
        if loc.decimals == 0:
            # Chilean pesos: prices like 19990.
            return float(max(990, round(value / 1000) * 1000 - 10))
        return round(int(value) + 0.99, 2) if value >= 1 else round(value, 2)

    def _round(self, value: float) -> float:
        return round(value, self.locale.decimals)

    # -- categories ------------------------------------------------------------------------

    def category(self, index: int) -> Record:
        base = _CATEGORY_NAMES[index % len(_CATEGORY_NAMES)]
        name = (
            base if index < len(_CATEGORY_NAMES) else f"{base} {index // len(_CATEGORY_NAMES) + 1}"
        )
        # The first few are top level; later ones hang under them, as stores usually grow.
        parent = None if index < 6 else self.category_id(self._h(_S_CATEGORY, index, 1) % 6)
        return {
            "id": self.category_id(index),
            "name": name,
            "parent_id": parent,
            "permalink": slugify(name),
        }

    # -- products --------------------------------------------------------------------------

    def product_light(self, index: int) -> Record:
        """The fields that filters and orders need, without building the product."""
        h = self._h
        name = (
            f"{_ADJECTIVES[h(_S_PRODUCT, index, 1) % len(_ADJECTIVES)]} "
            f"{_NOUNS[h(_S_PRODUCT, index, 2) % len(_NOUNS)]}"
        )
        variant_roll = h(_S_PRODUCT, index, 7) % 10
        n_variants = 0 if variant_roll < 3 else 2 + variant_roll % 4
        return {
            "id": self.product_id(index),
            "name": name,
            "sku": None if h(_S_PRODUCT, index, 8) % 20 == 0 else f"SKU-{index + 1:06d}",
            "brand": None
            if h(_S_PRODUCT, index, 9) % 4 == 0
            else _BRANDS[h(_S_PRODUCT, index, 10) % len(_BRANDS)],
            "barcode": None
            if h(_S_PRODUCT, index, 11) % 2
            else f"78{h(_S_PRODUCT, index, 12) % 10**11:011d}",
            "status": self.product_status(index),
            "price": self._price(5 + h(_S_PRODUCT, index, 13) % 120),
            "type": "digital" if h(_S_PRODUCT, index, 14) % 20 == 0 else "physical",
            "_category_ids": self.product_category_ids(index),
            "_n_variants": n_variants,
            "_n_images": h(_S_PRODUCT, index, 15) % 4,
        }

    def product_status(self, index: int) -> str:
        roll = self._h(_S_PRODUCT, index, 3) % 100
        return "available" if roll < 75 else ("not-available" if roll < 90 else "disabled")

    def product_category_ids(self, index: int) -> list[int]:
        h, n = self._h, self.n_categories
        if not n:
            return []
        first = h(_S_PRODUCT, index, 4) % n
        cats = [self.category_id(first)]
        if n > 1 and h(_S_PRODUCT, index, 5) % 3 == 0:
            cats.append(self.category_id((first + 1 + h(_S_PRODUCT, index, 6) % (n - 1)) % n))
        return cats

    def _variant_axis(self, index: int) -> tuple[str, Sequence[str]]:
        return ("Size", _SIZES) if self._h(_S_PRODUCT, index, 16) % 2 else ("Color", _COLORS)

    def product_variant_ids(self, index: int) -> list[int]:
        n = self.product_light(index)["_n_variants"]
        return [VARIANT_BASE + index * VARIANT_SLOTS + j for j in range(n)]

    def _product_created(self, index: int) -> dt.datetime:
        span = (_DATA_NOW - _DATA_START).total_seconds() * 0.9
        step = span / max(self.n_products, 1)
        jitter = self._h(_S_PRODUCT, index, 17) % max(int(step), 1)
        return _DATA_START + dt.timedelta(seconds=index * step + jitter)

    def product(self, index: int) -> Record:
        light = self.product_light(index)
        rng = self._rng
        rng.seed(mix(self.seed, _S_PRODUCT_FULL, index))
        pid = light["id"]
        name = light["name"]
        permalink = f"{slugify(name)}-{index + 1}"
        created = self._product_created(index)
        updated = min(
            _DATA_NOW,
            created + dt.timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86399)),
        )
        price = light["price"]
        epoch = int(created.timestamp())

        images = [
            {
                "id": IMAGE_BASE + index * IMAGE_SLOTS + j,
                "position": j,
                "url": f"https://cdn.jumpseller.com/{self.login}/image/{IMAGE_BASE + index * IMAGE_SLOTS + j}/{permalink}-{j + 1}.jpg?{epoch}",
            }
            for j in range(light["_n_images"])
        ]

        n_variants = light["_n_variants"]
        options: list[Record] = []
        variants: list[Record] = []
        if n_variants:
            axis, values = self._variant_axis(index)
            option_id = OPTION_BASE + index * OPTION_SLOTS
            options.append(
                {
                    "id": option_id,
                    "name": axis,
                    "position": 0,
                    "option_type": "option",
                    "addon_price": None,
                    "values": [
                        {
                            "id": OPTION_VALUE_BASE + index * OPTION_VALUE_SLOTS + j,
                            "name": values[j],
                            "custom": None,
                            "position": j,
                        }
                        for j in range(n_variants)
                    ],
                }
            )
            for j in range(n_variants):
                bump = 1.1 if axis == "Size" and values[j] in ("XXL", "3XL", "4XL") else 1.0
                unlimited = rng.random() < 0.05
                variants.append(
                    {
                        "id": VARIANT_BASE + index * VARIANT_SLOTS + j,
                        "price": self._round(price * bump),
                        "sku": None
                        if light["sku"] is None
                        else f"{light['sku']}-{values[j][:3].upper()}",
                        "barcode": None,
                        "stock": 0 if unlimited else rng.randint(0, 40),
                        "stock_unlimited": unlimited,
                        "stock_threshold": 0,
                        "stock_notification": False,
                        "cost_per_item": None if rng.random() < 0.5 else self._round(price * 0.45),
                        "compare_at_price": None,
                        "options": [
                            {
                                "name": axis,
                                "option_type": "option",
                                "value": values[j],
                                "custom": None,
                                "product_option_position": 0,
                                "product_value_position": j,
                            }
                        ],
                        "image": dict(images[j % len(images)])
                        if images and rng.random() < 0.6
                        else None,
                    }
                )

        unlimited = rng.random() < 0.1
        stock = (
            sum(v["stock"] for v in variants)
            if variants
            else (0 if unlimited else rng.randint(0, 200))
        )
        digital = light["type"] == "digital"
        discount: Any = 0.0
        if rng.random() < 0.1:
            discount = self._round(price * 0.1)
            if self.quirks and rng.random() < 0.5:
                # Live data sometimes carries this number as a string.
                discount = f"{float(discount)}"
        cylinder = rng.random() < 0.1
        dims = rng.random() < 0.7
        material = _MATERIALS[rng.randrange(len(_MATERIALS))]
        description = (
            None
            if rng.random() < 0.15
            else f"<p>{name} made of {material}. Designed to last, shipped from {self.locale.country_name}.</p>"
        )
        record: Record = {
            "id": pid,
            "name": name,
            "page_title": None if rng.random() < 0.7 else f"{name} | {self.login}",
            "description": description,
            "type": light["type"],
            "days_to_expire": 30 if digital else None,
            "price": price,
            "discount": discount,
            "weight": None if digital or rng.random() < 0.1 else round(rng.uniform(0.1, 3.0), 2),
            "stock": stock,
            "stock_unlimited": unlimited and not variants,
            "stock_threshold": 0,
            "stock_notification": False,
            "back_in_stock_enabled": rng.random() < 0.2,
            "cost_per_item": None if rng.random() < 0.5 else self._round(price * 0.45),
            "compare_at_price": None if rng.random() < 0.75 else self._round(price * 1.25),
            "sku": light["sku"],
            "brand": light["brand"],
            "barcode": light["barcode"],
            "google_product_category_text": None if rng.random() < 0.8 else "Apparel & Accessories",
            "quotable": False,
            "featured": rng.random() < 0.1,
            "reviews_enabled": rng.random() < 0.3,
            "status": light["status"],
            "created_at": iso_z(created),
            "updated_at": iso_z(updated),
            "package_format": "cylinder" if cylinder else "box",
            "length": round(rng.uniform(5, 60), 1) if dims else None,
            "width": None if cylinder or not dims else round(rng.uniform(5, 40), 1),
            "height": round(rng.uniform(2, 30), 1) if dims else None,
            "diameter": round(rng.uniform(5, 20), 1) if cylinder and dims else None,
            "permalink": permalink,
            "images": images,
            "variants": variants,
            "digital_products": (
                [
                    {
                        "id": DIGITAL_PRODUCT_BASE + index,
                        "url": f"https://files.jumpseller.com/{self.login}/{permalink}.pdf",
                        "expiration_seconds": 86400,
                        "external": False,
                    }
                ]
                if digital
                else []
            ),
            "_category_ids": list(light["_category_ids"]),
            "_options": options,
            "_attachments": (
                [
                    {
                        "id": ATTACHMENT_BASE + index,
                        "url": f"https://files.jumpseller.com/{self.login}/size-guide-{index + 1}.pdf",
                    }
                ]
                if rng.random() < 0.15
                else []
            ),
            "_fields": (
                [
                    {
                        "id": PRODUCT_FIELD_BASE + index,
                        "custom_field_id": CUSTOM_FIELD_BASE,
                        "type": "text",
                        "label": "Material",
                        "value": material.capitalize(),
                        "value_id": None,
                        "variant_id": None,
                    }
                ]
                if rng.random() < 0.3
                else []
            ),
        }
        return record

    # -- customers -------------------------------------------------------------------------

    _EMAIL_INDEX = re.compile(r"(\d+)@[^@]+$")

    def customer_light(self, index: int) -> Record:
        h = self._h
        first = _FIRST[h(_S_CUSTOMER, index, 1) % len(_FIRST)]
        last = _LAST[h(_S_CUSTOMER, index, 2) % len(_LAST)]
        local = f"{_ascii(first)}.{_ascii(last)}"
        if h(_S_CUSTOMER, index, 3) % 8 == 0:
            # Plus-addressing is common and breaks naive URL building: keep some around.
            local += "+shop"
        domain = _MAIL_DOMAINS[h(_S_CUSTOMER, index, 4) % len(_MAIL_DOMAINS)]
        phone = (
            None
            if h(_S_CUSTOMER, index, 6) % 4 == 0
            else f"9{h(_S_CUSTOMER, index, 7) % 10**8:08d}"
        )
        return {
            "id": self.customer_id(index),
            # The index is embedded right before the "@": it is what makes email look-ups
            # possible without an email -> id dict over every seeded customer.
            "email": f"{local}{index + 1}@{domain}".lower(),
            "fullname": f"{first} {last}",
            "name": first,
            "surname": last,
            "phone": phone,
            "_category_ids": self.customer_category_ids(index),
        }

    def customer_category_ids(self, index: int) -> list[int]:
        roll = self._h(_S_CUSTOMER, index, 5) % 10
        return [CUSTOMER_CATEGORY_BASE + roll] if roll < 3 else []

    def customer_index_from_email(self, email: str) -> int | None:
        match = self._EMAIL_INDEX.search(email)
        if match is None:
            return None
        return int(match.group(1)) - 1

    def _address(self, rng: random.Random, name: str, surname: str, billing: bool) -> Record:
        city, region, _ = self.locale.cities[rng.randrange(len(self.locale.cities))]
        address: Record = {
            "name": name,
            "surname": surname,
            "address": f"{_STREETS[rng.randrange(len(_STREETS))]} {rng.randint(10, 4999)}",
            "city": city,
            "postal": None if rng.random() < 0.3 else f"{rng.randint(1000, 99999):05d}",
            "municipality": None if rng.random() < 0.5 else city,
            "region": region,
            "country": self.locale.country_name,
        }
        if billing:
            address["taxid"] = (
                None
                if rng.random() < 0.8
                else f"{rng.randint(5, 30)}.{rng.randint(100, 999)}.{rng.randint(100, 999)}-{rng.randint(0, 9)}"
            )
        return address

    def customer(self, index: int) -> Record:
        light = self.customer_light(index)
        rng = self._rng
        rng.seed(mix(self.seed, _S_CUSTOMER_FULL, index))
        marketing = rng.random() < 0.4
        since = _DATA_START + dt.timedelta(
            seconds=rng.randint(0, int((_DATA_NOW - _DATA_START).total_seconds()))
        )
        roll = rng.random()
        shipping = self._address(rng, light["name"], light["surname"], billing=False)
        billing = (
            self._address(rng, light["name"], light["surname"], billing=True)
            if rng.random() < 0.7
            else None
        )
        fields = []
        if rng.random() < 0.4:
            fields.append(
                {
                    "id": CUSTOMER_FIELD_BASE + index,
                    "label": "Tax ID",
                    "value": f"{rng.randint(5, 30)}{rng.randint(100000, 999999)}-{rng.randint(0, 9)}",
                    "area": "contact",
                    "customer_id": light["id"],
                    "checkout_custom_field_id": CHECKOUT_FIELD_BASE,
                }
            )
        return {
            "id": light["id"],
            "email": light["email"],
            "phone": light["phone"],
            "fullname": light["fullname"],
            "status": "approved" if roll < 0.9 else ("pending" if roll < 0.96 else "disabled"),
            "accepts_marketing": marketing,
            "accepted_marketing_at": iso_z(since) if marketing else None,
            "cancelled_marketing_at": None,
            "shipping_address": shipping,
            "billing_address": billing,
            "_category_ids": list(light["_category_ids"]),
            "_fields": fields,
        }

    # -- orders ----------------------------------------------------------------------------

    def order_status(self, index: int) -> str:
        # Every other order has a fulfillment, and only paid orders ship.
        if index % 2 == 0:
            return "Paid"
        roll = self._h(_S_ORDER, index, 1) % 100
        if roll < 40:
            return "Paid"
        if roll < 60:
            return "Pending Payment"
        if roll < 75:
            return "Canceled"
        return "Abandoned"

    def order_shipment(self, index: int) -> tuple[str | None, str | None, str | None]:
        """(shipment_status_enum, tracking_company, tracking_number) of a seeded order."""
        if index % 2:
            return ("unfulfilled" if self.order_status(index) == "Paid" else None), None, None
        roll = self._h(_S_ORDER, index, 2) % 100
        status = (
            "delivered"
            if roll < 55
            else ("in_transit" if roll < 80 else ("requested" if roll < 95 else "failed"))
        )
        couriers = self.locale.couriers
        company = couriers[self._h(_S_ORDER, index, 3) % len(couriers)]
        number = None if status == "requested" else f"{self._h(_S_ORDER, index, 4) % 10**12:012d}"
        return status, company, number

    def order_customer_index(self, index: int) -> int:
        """The index of the customer who placed seeded order ``index`` (needs customers)."""
        return self._h(_S_ORDER, index, 6) % self.n_customers

    def _order_created(self, index: int) -> dt.datetime:
        span = (_DATA_NOW - _ORDERS_START).total_seconds()
        step = span / max(self.n_orders, 1)
        jitter = self._h(_S_ORDER, index, 5) % max(int(step), 1)
        return _ORDERS_START + dt.timedelta(seconds=index * step + jitter)

    def order(self, index: int) -> Record:
        rng = self._rng
        rng.seed(mix(self.seed, _S_ORDER_FULL, index))
        loc = self.locale
        oid = self.order_id(index)
        status = self.order_status(index)
        created = self._order_created(index)
        completed = (
            created + dt.timedelta(minutes=rng.randint(2, 90))
            if status in ("Paid", "Canceled")
            else None
        )

        if self.n_customers:
            c = self.customer_light(self.order_customer_index(index))
            name, surname = c["name"], c["surname"]
            customer: Record = {
                "id": c["id"],
                "email": c["email"],
                "phone": c["phone"],
                "phone_prefix": loc.phone_prefix if c["phone"] else None,
                "ip": None
                if rng.random() < 0.2
                else f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                "fullname": c["fullname"],
            }
        else:
            name, surname = "Guest", "Buyer"
            customer = {
                "id": None,
                "email": f"guest{index + 1}@example.com",
                "phone": None,
                "phone_prefix": None,
                "ip": None,
                "fullname": "Guest Buyer",
            }

        lines: list[Record] = []
        if self.n_products:
            for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
                pidx = rng.randrange(self.n_products)
                p = self.product_light(pidx)
                variant_id = (
                    VARIANT_BASE + pidx * VARIANT_SLOTS + rng.randrange(p["_n_variants"])
                    if p["_n_variants"]
                    else None
                )
                lines.append(
                    {
                        "id": p["id"],
                        "variant_id": variant_id,
                        "sku": p["sku"],
                        "name": p["name"],
                        "image": (
                            f"https://cdn.jumpseller.com/{self.login}/image/{IMAGE_BASE + pidx * IMAGE_SLOTS}/thumb.jpg"
                            if p["_n_images"]
                            else None
                        ),
                        "qty": rng.choice((1, 1, 1, 2, 3)),
                        "price": p["price"],
                        "discount": 0.0,
                        "weight": round(rng.uniform(0.1, 3.0), 2),
                        "taxes": [
                            {
                                "id": TAX_BASE,
                                "name": loc.tax_name,
                                "rate": loc.tax_rate,
                                "fixed": False,
                                "tax_on_product_price": True,
                            }
                        ],
                        "stock_locations": [],
                    }
                )
        subtotal = self._round(sum(line["price"] * line["qty"] for line in lines))
        coupon = "WELCOME10" if rng.random() < 0.12 else None
        discount = self._round(subtotal * 0.1) if coupon else 0.0
        free = subtotal >= self._price(80)
        shipping = 0.0 if free else self._price(4)
        # Prices include tax: "tax" reports the part of the subtotal that is tax.
        tax = self._round((subtotal - discount) - (subtotal - discount) / (1 + loc.tax_rate / 100))
        shipment, company, number = self.order_shipment(index)
        paid_like = status in ("Paid", "Canceled")
        payment_id = PAYMENT_METHOD_BASE + rng.randrange(3)
        payment_name, payment_type = _PAYMENT_METHODS[payment_id - PAYMENT_METHOD_BASE][:2]
        shipping_id = SHIPPING_METHOD_BASE + (1 if free else 0)
        history = [
            {
                "id": HISTORY_BASE + index * HISTORY_SLOTS,
                "message": "Order created",
                "created_at": iso_z(created),
            }
        ]
        if completed is not None:
            history.append(
                {
                    "id": HISTORY_BASE + index * HISTORY_SLOTS + 1,
                    "message": f"Status changed to {status}",
                    "created_at": iso_z(completed),
                }
            )
        if shipment in ("delivered", "in_transit") and completed is not None:
            history.append(
                {
                    "id": HISTORY_BASE + index * HISTORY_SLOTS + 2,
                    "message": f"Shipment status changed to {SHIPMENT_STATUSES[shipment]}",
                    "created_at": iso_z(completed + dt.timedelta(days=1)),
                }
            )
        token = f"{mix(self.seed, _S_ORDER_FULL, index, 99):016x}"
        return {
            "id": oid,
            "source": {
                "created_from": "web",
                "created_from_app_code": None,
                "source_name": None,
                "medium": None if rng.random() < 0.7 else "cpc",
                "campaign": None,
                "referral_url": None if rng.random() < 0.6 else "https://www.google.com/",
                "referral_code": None,
                "user_agent": _AGENTS[rng.randrange(len(_AGENTS))],
                "first_page_visited": "/",
                "first_page_visited_at": iso_z(created - dt.timedelta(minutes=rng.randint(1, 240))),
                "referral_source": None,
            },
            "created_at": order_time(created),
            "completed_at": order_time(completed) if completed else None,
            "currency": loc.currency,
            "subtotal": subtotal,
            "tax": tax,
            "shipping_tax": 0.0,
            "shipping": shipping,
            "shipping_required": True,
            "total": self._round(subtotal - discount + shipping),
            "discount": discount,
            "shipping_discount": 0.0,
            "gift_cards_discount": 0.0,
            "shipping_method_id": shipping_id,
            "shipping_service_id": None,
            "shipping_method_name": _SHIPPING_METHODS[shipping_id - SHIPPING_METHOD_BASE][0],
            "payment_method_name": payment_name,
            "payment_method_type": payment_type,
            "payment_information": None
            if rng.random() < 0.8 or not paid_like
            else f"Transfer #{rng.randint(10000, 99999)}",
            "payment_notification_id": None,
            "additional_information": None
            if rng.random() < 0.85
            else "Please leave it with the concierge.",
            "duplicate_url": f"{self.base_url}/admin/{loc.language}/orders/{oid}/duplicate",
            "recovery_url": f"{self.base_url}/v2/checkout/recover/{token}"
            if status == "Abandoned"
            else None,
            "review_url": None,
            "checkout_url": f"{self.base_url}/v2/checkout/{token}",
            "coupons": coupon,
            "promotions": [],
            "customer": customer,
            "shipping_branch": None,
            "shipping_address": {
                **self._address(rng, name, surname, billing=False),
                "country_code": loc.country,
                "region_code": None,
                "street_number": None,
                "complement": None if rng.random() < 0.7 else f"Apt {rng.randint(1, 120)}",
                "latitude": None,
                "longitude": None,
                "neighbourhood": None,
            },
            "billing_address": {
                **self._address(rng, name, surname, billing=True),
                "country_code": loc.country,
                "region_code": None,
                "street_number": None,
                "complement": None,
                "neighbourhood": None,
            },
            "pickup_address": None,
            "products": lines,
            "additional_fields": [],
            "shipping_taxes": [],
            "status": status,
            "status_enum": _enum(status),
            "tracking_url": (
                f"https://tracking.example.com/{company.lower().replace(' ', '-')}/{number}"
                if company and number
                else None
            ),
            "tracking_company": company,
            "tracking_number": number,
            "shipping_option": "delivery",
            "same_day_delivery": False,
            "shipment_status": SHIPMENT_STATUSES[shipment] if shipment else None,
            "shipment_status_enum": shipment,
            "recovered_from": None,
            "external_shipping_rate_id": None,
            "external_shipping_rate_description": None,
            "billing_information": (
                None
                if rng.random() < 0.9
                else {
                    "business_activity": "Retail",
                    "company_name": f"{surname} SpA",
                    "taxpayer_type": "company",
                }
            ),
            "_history": history,
        }

    # -- fulfillments ----------------------------------------------------------------------

    def fulfillment_order_index(self, index: int) -> int:
        return index * 2

    def fulfillment(self, index: int) -> Record:
        order_index = self.fulfillment_order_index(index)
        shipment, company, number = self.order_shipment(order_index)
        created = self._order_created(order_index) + dt.timedelta(
            hours=6 + self._h(_S_FULFILLMENT, index, 1) % 40
        )
        updated = created + dt.timedelta(days=self._h(_S_FULFILLMENT, index, 2) % 6)
        arrives = created + dt.timedelta(days=2)
        return {
            "id": FULFILLMENT_BASE + index * FULFILLMENT_STRIDE,
            "created_at": iso_z(created),
            "updated_at": iso_z(updated),
            "tracking_number": number,
            "tracking_company": company,
            "type": "manual",
            "shipment_status": shipment,
            "label_url": None,
            "expected_arrival_from": iso_z(arrives) if shipment != "delivered" else None,
            "expected_arrival_to": iso_z(arrives + dt.timedelta(days=3))
            if shipment != "delivered"
            else None,
            "fulfillment_address": None,
            "order_id": self.order_id(order_index),
        }

    def history_ids(self, order_index: int) -> range:
        start = HISTORY_BASE + order_index * HISTORY_SLOTS
        return range(start, start + HISTORY_SLOTS)

    # -- small, eagerly seeded collections -------------------------------------------------

    def store_info(self) -> Record:
        loc = self.locale
        city, region, region_code = loc.cities[0]
        return {
            "name": f"{self.login.replace('-', ' ').title()}",
            "code": self.login,
            "currency": loc.currency,
            "country": loc.country,
            "timezone": loc.timezone,
            "email": f"owner@{self.login}.example.com",
            "hooks_token": self.hooks_token,
            "url": self.base_url,
            "logo": None,
            "weight_unit": "lb" if loc.country == "US" else "kg",
            "subscription_status": "active",
            "subscription_plan": "pro",
            "fb_pixel_id": None,
            "address": {
                "address": f"{_STREETS[0]} 1234",
                "city": city,
                "postal": None,
                "region": region,
                "country": loc.country_name,
                "region_code": region_code,
                "country_code": loc.country,
            },
            "whatsapp_phone": None,
        }

    def languages(self) -> list[Record]:
        codes = [self.locale.language] + [c for c in ("en", "es") if c != self.locale.language]
        return [{"code": c, "name": LANGUAGES[c]} for c in codes]

    def pages(self) -> list[Record]:
        made = iso_z(_DATA_START)
        rows = (
            ("About us", "public", False),
            ("Shipping policy", "public", True),
            ("Terms and conditions", "public", True),
            ("Frequently asked questions", "draft", False),
            ("Wholesale", "hidden", False),
        )
        return [
            {
                "title": title,
                "body": f"<p>{title} of {self.login}.</p>",
                "status": status,
                "legal": legal,
                "page_title": None,
                "meta_description": None,
                "categories": [],
                "template": {"id": 1, "name": "page"},
                "permalink": slugify(title),
                "image": None,
                "created_at": made,
                "updated_at": made,
            }
            for title, status, legal in rows
        ]

    def promotions(self) -> list[Record]:
        return [
            {
                "name": "Welcome 10%",
                "status": "active",
                "enabled": True,
                "discount_target": "order",
                "condition_price": None,
                "condition_qty": None,
                "quantity_x": None,
                "discount_amount_fix": None,
                "discount_amount_percent": 10.0,
                "lasts": "forever",
                "begins_at": None,
                "expires_at": None,
                "times_used": 37,
                "max_times_used": None,
                "cumulative": False,
                "categories": [],
                "customer_categories": [],
                "products": [],
                "products_x": [],
                "coupons": [{"id": 1, "code": "WELCOME10", "usage_limit": None, "times_used": 37}],
                "countries": [],
                "regions": [],
                "municipalities": [],
            },
            {
                "name": "Free shipping over threshold",
                "status": "active",
                "enabled": True,
                "discount_target": "shipping",
                "condition_price": self._price(80),
                "condition_qty": None,
                "quantity_x": None,
                "discount_amount_fix": None,
                "discount_amount_percent": 100.0,
                "lasts": "date",
                "begins_at": iso_z(_DATA_START),
                "expires_at": iso_z(_DATA_NOW + dt.timedelta(days=180)),
                "times_used": 112,
                "max_times_used": None,
                "cumulative": True,
                "categories": [],
                "customer_categories": [],
                "products": [],
                "products_x": [],
                "coupons": [],
                "countries": [self.locale.country],
                "regions": [],
                "municipalities": [],
            },
            {
                "name": "Winter sale",
                "status": "expired",
                "enabled": False,
                "discount_target": "categories",
                "condition_price": None,
                "condition_qty": None,
                "quantity_x": None,
                "discount_amount_fix": self._price(5),
                "discount_amount_percent": None,
                "lasts": "date",
                "begins_at": iso_z(_DATA_START + dt.timedelta(days=120)),
                "expires_at": iso_z(_DATA_START + dt.timedelta(days=150)),
                "times_used": 5,
                "max_times_used": 100,
                "cumulative": False,
                "categories": [{"id": self.category_id(0)}] if self.n_categories else [],
                "customer_categories": [],
                "products": [],
                "products_x": [],
                "coupons": [],
                "countries": [],
                "regions": [],
                "municipalities": [],
            },
        ]

    def hooks(self) -> list[Record]:
        made = iso_z(_DATA_NOW - dt.timedelta(days=30))
        return [
            {
                "name": "ERP sync",
                "event": "order_paid",
                "url": "https://erp.example.com/hooks/jumpseller",
                "created_at": made,
            },
            {
                "name": "Stock feed",
                "event": "product_updated",
                "url": "https://feeds.example.com/jumpseller/products",
                "created_at": made,
            },
        ]

    def payment_methods(self) -> list[Record]:
        return [{"type": kind, "name": name} for name, kind in _PAYMENT_METHODS]

    def shipping_methods(self) -> list[Record]:
        rows = []
        for name, kind in _SHIPPING_METHODS:
            rows.append(
                {
                    "type": kind,
                    "name": name,
                    "enabled": True,
                    "free_shipping": kind == "free",
                    "free_shipping_minimum_purchase": kind == "free",
                    "fee": [{"type": "fixed", "value": self._price(4)}] if kind == "flat" else [],
                    "callback_url": None,
                    "fetch_services_url": None,
                    "state": None,
                    "city": None,
                    "postal": None,
                    "services": [],
                    "tables": [],
                }
            )
        return rows

    def taxes(self) -> list[Record]:
        loc = self.locale
        rate: Any = loc.tax_rate
        return [
            {
                "name": loc.tax_name,
                "country": loc.country,
                "region": None,
                "category_id": None,
                # Live stores sometimes send tax amounts as strings.
                "tax_amount": f"{rate}" if self.quirks else rate,
                "fixed": False,
                "shipping": True,
            },
            {
                "name": "Reduced rate",
                "country": loc.country,
                "region": loc.cities[0][2],
                "category_id": self.category_id(0) if self.n_categories else None,
                "tax_amount": round(loc.tax_rate / 2, 3),
                "fixed": False,
                "shipping": False,
            },
        ]

    def custom_fields(self) -> list[tuple[Record, list[str]]]:
        return [
            ({"label": "Material", "type": "text", "product_visibility": True}, []),
            (
                {"label": "Fit", "type": "selection", "product_visibility": True},
                ["Slim", "Regular", "Relaxed"],
            ),
            ({"label": "Care instructions", "type": "input", "product_visibility": False}, []),
        ]

    def checkout_custom_fields(self) -> list[Record]:
        return [
            {
                "label": "Tax ID",
                "type": "input",
                "area": "contact",
                "required": False,
                "position": 1,
                "deletable": True,
                "custom_field_select_options": None,
            },
            {
                "label": "Delivery notes",
                "type": "text",
                "area": "other",
                "required": False,
                "position": 2,
                "deletable": True,
                "custom_field_select_options": None,
            },
            {
                "label": "Gift wrap",
                "type": "checkbox",
                "area": "other",
                "required": False,
                "position": 3,
                "deletable": True,
                "custom_field_select_options": None,
            },
        ]

    def customer_categories(self) -> list[Record]:
        return [
            {"name": name, "code": slugify(name)} for name in ("Wholesale", "VIP", "Newsletter")
        ]

    def apps(self) -> list[Record]:
        return [
            {
                "code": "reviews-widget",
                "name": "Reviews Widget",
                "author": "Widgets Inc.",
                "description": "Product reviews",
                "js": True,
                "page": None,
            },
            {
                "code": "chat-bubble",
                "name": "Chat Bubble",
                "author": "Chatty",
                "description": "Live chat",
                "js": True,
                "page": None,
            },
        ]

    def jsapps(self) -> list[Record]:
        return [
            {
                "url": "https://widgets.example.com/reviews.js",
                "template": "product",
                "element": "body",
                "application_id": APP_BASE,
            },
            {
                "url": "https://chat.example.com/bubble.js",
                "template": "layout",
                "element": "head",
                "application_id": APP_BASE + 1,
            },
        ]

    def locations(self) -> list[Record]:
        """Pickup locations / stock origins (official spec PickupLocation)."""
        loc = self.locale
        rows = []
        for n, (city, region, _code) in enumerate(loc.cities[:2]):
            rows.append(
                {
                    "name": f"{city} {'warehouse' if n == 0 else 'store'}",
                    "email": f"{'warehouse' if n == 0 else 'store'}@{self.login}.example.com",
                    "active": True,
                    "main": n == 0,
                    "pickup_point": n == 1,
                    "is_stock_origin": True,
                    "location_address": {
                        "id": None,
                        "name": None,
                        "surname": None,
                        "address": f"{_STREETS[n]} {100 + n * 37}",
                        "street_number": None,
                        "complement": None,
                        "city": city,
                        "postal": None,
                        "country": loc.country,
                        "region": region,
                        "type": None,
                        "taxid": None,
                        "taxid_type": None,
                        "default": n == 0,
                        "region_format": None,
                        "municipality": city,
                        "latitude": None,
                        "longitude": None,
                    },
                }
            )
        return rows

    def reviews(self) -> list[Record]:
        """Two reviews on each of the first products (official spec ProductReviewFields)."""
        rows: list[Record] = []
        texts = ("Great quality, fast shipping.", "Runs small; order one size up.")
        statuses = ("published", "unread")
        for index in range(min(self.n_products, 5)):
            product = self.product_light(index)
            for j in range(2):
                order_index = (index * 2 + j) * 2
                rows.append(
                    {
                        "status": statuses[j],
                        "rating": 5 - j - index % 2,
                        "review": texts[j],
                        "date": iso_z(_DATA_NOW - dt.timedelta(days=10 * index + j)),
                        "product_id": product["id"],
                        "product_name": product["name"],
                        "order_id": self.order_id(order_index)
                        if order_index < self.n_orders
                        else None,
                        "customer_email": self.customer_light(index)["email"]
                        if self.n_customers > index
                        else None,
                    }
                )
        return rows


_PAYMENT_METHODS = (
    ("Bank transfer", "manual"),
    ("Mercado Pago", "mercado_pago"),
    ("PayPal", "paypal"),
)
_SHIPPING_METHODS = (
    ("Home delivery", "flat"),
    ("Free shipping", "free"),
    ("Store pickup", "tables"),
)


def _enum(label: str) -> str:
    return label.lower().replace(" ", "_")


def _ascii(text: str) -> str:
    table = str.maketrans("áéíóúãõâêôçñÁÉÍÓÚÃÕÂÊÔÇÑ", "aeiouaoaeocnAEIOUAOAEOCN")
    return text.translate(table).lower()
