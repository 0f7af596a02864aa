"""Countries, their regions and municipalities (read from the store's locale tables)."""

from __future__ import annotations

from .._http import HTTPError, Request, Response
from ._base import _ok

__all__ = ["countries_list", "country_get", "municipalities_list", "region_get", "regions_list"]


def _country(req: Request) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    code = req.params["country_code"].upper()
    found = req.store.countries.get(code)
    if found is None:
        raise HTTPError(404, "Country not found")
    return code, found[0], found[1]


def countries_list(req: Request) -> Response:
    return _ok(
        [{"code": code, "name": name} for code, (name, _) in sorted(req.store.countries.items())]
    )


def country_get(req: Request) -> Response:
    code, name, _ = _country(req)
    return _ok({"code": code, "name": name})


def regions_list(req: Request) -> Response:
    code, _, regions = _country(req)
    return _ok([{"code": r, "name": n, "iso": f"{code}-{r}"} for r, n in regions])


def region_get(req: Request) -> Response:
    code, _, regions = _country(req)
    wanted = req.params["region_code"].upper()
    for region, name in regions:
        if region.upper() == wanted:
            return _ok({"code": region, "name": name, "iso": f"{code}-{region}"})
    raise HTTPError(404, "Region not found")


def municipalities_list(req: Request) -> Response:
    code, _, regions = _country(req)
    wanted = req.params["region_code"].upper()
    if not any(region.upper() == wanted for region, _ in regions):
        raise HTTPError(404, "Region not found")
    locale = req.store.seeder.locale
    names = [city for city, _, region in locale.cities if region.upper() == wanted]
    if locale.country != code:
        names = []
    return _ok([{"code": f"{code}-{wanted}-{n + 1}", "name": name} for n, name in enumerate(names)])
