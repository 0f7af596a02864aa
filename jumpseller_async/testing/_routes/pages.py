"""Pages and their images (the images: official spec only)."""

from __future__ import annotations

from .. import _seed
from .._http import HTTPError, Request, Response
from .._store import Record, Store, as_int
from ._base import _count, _deleted, _fields, _id, _ok, _timestamps, _wrap
from ._checks import _expect
from ._resource import Resource

__all__ = [
    "PAGES",
    "page_image_create",
    "page_image_delete",
    "page_image_get",
    "page_image_update",
    "page_images_count",
    "page_images_list",
]


def _prepare_page(store: Store, record: Record, changes: Record, creating: bool) -> None:
    if creating:
        for key in ("body", "page_title", "meta_description", "image"):
            record.setdefault(key, None)
        record.setdefault("status", "public")
        record.setdefault("legal", False)
        record.setdefault("categories", [])
        if not record.get("permalink"):
            record["permalink"] = _seed.slugify(str(record.get("title") or "page"))
    template = record.get("template")
    if isinstance(template, int):
        record["template"] = {"id": template, "name": "page"}


PAGES = Resource("pages", "page", "Page", prepare=_prepare_page, defaults=lambda s: _timestamps())


def _page_id(req: Request) -> int:
    page_id = _id(req, "id", "Page")
    if page_id not in req.store.pages:
        raise HTTPError(404, "Page not found")
    return page_id


def _page_image(req: Request) -> tuple[list[Record], Record]:
    images = req.store.page_images.get(_page_id(req), [])
    image_id = as_int(req.params.get("image_id"))
    for image in images:
        if image.get("id") == image_id:
            return images, image
    raise HTTPError(404, "Image not found")


def _image_url(req: Request) -> str:
    fields = _fields(req, "image")
    url = fields.get("url")
    if not url:
        raise HTTPError(422, "Url can't be blank")
    _expect(url, "string", "url")
    return str(url)


def page_images_list(req: Request) -> Response:
    images = req.store.page_images.get(_page_id(req), [])
    return _ok([_wrap("image", dict(i)) for i in images])


def page_images_count(req: Request) -> Response:
    return _count(len(req.store.page_images.get(_page_id(req), [])))


def page_image_get(req: Request) -> Response:
    return _ok(_wrap("image", dict(_page_image(req)[1])))


def page_image_create(req: Request) -> Response:
    page_id = _page_id(req)
    image = {"id": req.store.next_sub_id("page_image"), "url": _image_url(req)}
    req.store.page_images.setdefault(page_id, []).append(image)
    return _ok(_wrap("image", dict(image)), req.create_status)


def page_image_update(req: Request) -> Response:
    _, image = _page_image(req)
    image["url"] = _image_url(req)
    return _ok(_wrap("image", dict(image)))


def page_image_delete(req: Request) -> Response:
    images, image = _page_image(req)
    images.remove(image)
    return _deleted("Image")
