"""pytest fixtures for the fake Jumpseller.

Not registered automatically; enable it in a ``conftest.py``::

    pytest_plugins = ["jumpseller_async.testing.pytest_plugin"]

Tune the store per test with ``@pytest.mark.fake_jumpseller(products=10, limits=None)``
(the marker's keyword arguments go to :class:`FakeJumpseller`) or, without registering a
marker, with indirect parametrisation::

    @pytest.mark.parametrize("fake_jumpseller", [{"products": 10}], indirect=True)
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ._app import FakeJumpseller

__all__ = ["fake_jumpseller", "fake_jumpseller_transport"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_jumpseller(**options): options for the fake_jumpseller fixture"
    )


@pytest.fixture
def fake_jumpseller(request: pytest.FixtureRequest) -> FakeJumpseller:
    """A fresh fake store (seed 1, default sizes) for each test."""
    options: dict[str, Any] = dict(getattr(request, "param", None) or {})
    marker = request.node.get_closest_marker("fake_jumpseller")
    if marker is not None:
        options.update(marker.kwargs)
    return FakeJumpseller(**options)


@pytest.fixture
def fake_jumpseller_transport(fake_jumpseller: FakeJumpseller) -> httpx.ASGITransport:
    """An httpx transport that sends requests to ``fake_jumpseller`` in-process.

    Use it with ``base_url="http://fake/v1"``.
    """
    return httpx.ASGITransport(app=fake_jumpseller)
