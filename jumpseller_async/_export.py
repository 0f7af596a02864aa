"""Whole-resource exports to JSON Lines or CSV, in constant memory, resumable with nothing lost.

Pages are written whole and in order; after each page the state file records the output's size
and where to continue (the next page number, or the largest id seen). ``resume`` truncates the
output back to the last recorded size, so a page cut short by a crash is written again exactly
once. Products and orders are walked by id (``…/after/{id}.json``), which stays correct while the
store changes; the other lists go by page number, several pages in flight at once.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ._client import JumpsellerClient
from ._json import loads
from ._pagination import count_operation_for, max_id
from ._registry import find, index
from .errors import APIError, ConfigurationError, ResponseParseError


@dataclass(frozen=True)
class ResourceSpec:
    list_tool: str
    after_tool: str | None = None


# What can be exported (a product decision: lists only the official spec documents, such as
# documents and locations, are not offered until their export is tested). The operations come
# from the index: each one's top-level list (``GET /<name>.json``) and its after-id companion.
EXPORTABLE = (
    "products",
    "orders",
    "customers",
    "categories",
    "checkout_custom_fields",
    "countries",
    "custom_fields",
    "customer_categories",
    "fulfillments",
    "hooks",
    "jsapps",
    "pages",
    "payment_methods",
    "promotions",
    "shipping_methods",
    "taxes",
)


def _resources() -> dict[str, ResourceSpec]:
    found: dict[str, ResourceSpec] = {}
    for entry in index().values():
        match = re.fullmatch(r"/([a-z_]+)\.json", entry.path)
        if entry.method == "GET" and match and entry.item is not None:
            found[match.group(1)] = ResourceSpec(entry.tool, entry.after_tool)
    return {name: found[name] for name in EXPORTABLE}


_resources_cache: dict[str, ResourceSpec] = {}


def resources() -> dict[str, ResourceSpec]:
    """Resource name → its list (and after-id) operations; read from the index on first use."""
    if not _resources_cache:
        _resources_cache.update(_resources())
    return _resources_cache


def __getattr__(name: str) -> Any:
    # RESOURCES stays importable without reading the operation index at import time.
    if name == "RESOURCES":
        return resources()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


FORMATS = ("jsonl", "csv")


@dataclass
class ExportState:
    """What survives an interruption: where to continue and how much output is good."""

    resource: str
    format: str
    mode: str
    next_page: int = 1
    after_id: int = 0
    items: int = 0
    bytes_written: int = 0
    done: bool = False


@dataclass
class ExportResult:
    resource: str
    path: Path
    items: int
    requests: int
    elapsed: float
    resumed_from: int = 0
    null_items: int = 0
    columns: list[str] = field(default_factory=list)


ProgressCallback = Callable[[int, int | None], None]  # (items written so far, total if known)


def _unwrap(item: Any) -> Any:
    """The resource inside its wrapper (``{"product": {...}}`` → ``{...}``), as plain JSON."""
    data = item.to_dict() if hasattr(item, "to_dict") else item
    if isinstance(data, dict) and len(data) == 1:
        return next(iter(data.values()))
    return data


def _state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state.json")


def _data_path(out: Path, fmt: str) -> Path:
    # CSV needs every column before its header, so the data goes to JSON Lines first.
    return out if fmt == "jsonl" else out.with_name(out.name + ".part.jsonl")


def _save_state(path: Path, state: ExportState) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a crash leaves the old state or the new, never half


def _load_state(path: Path, resource: str, fmt: str) -> ExportState | None:
    if not path.exists():
        return None
    try:
        state = ExportState(**loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(
            f"cannot resume: {path} is not a valid export state ({exc})"
        ) from None
    if (state.resource, state.format) != (resource, fmt):
        raise ConfigurationError(
            f"cannot resume: {path} is an export of {state.resource} as {state.format}, "
            f"not {resource} as {fmt}"
        )
    return state


class Exporter:
    """One resource to one file; ``await run()`` returns the summary."""

    def __init__(
        self,
        client: JumpsellerClient,
        resource: str,
        out: Path,
        *,
        fmt: str = "jsonl",
        resume: bool = False,
        mode: str | None = None,
        concurrency: int = 8,
        progress: ProgressCallback | None = None,
    ) -> None:
        if resource not in resources():
            raise ConfigurationError(
                f"unknown resource {resource!r}; choose from: {', '.join(sorted(resources()))}"
            )
        if fmt not in FORMATS:
            raise ConfigurationError(f"unknown format {fmt!r}; choose jsonl or csv")
        spec = resources()[resource]
        self.list_module = find(spec.list_tool)
        self.after_module = find(spec.after_tool) if spec.after_tool else None
        chosen = mode or ("after" if self.after_module else "page")
        if chosen == "after" and self.after_module is None:
            raise ConfigurationError(
                f"{resource} has no …/after/{{id}}.json operation; use mode 'page'"
            )
        if chosen not in ("after", "page"):
            raise ConfigurationError(f"unknown mode {chosen!r}; choose after or page")
        self.client = client
        self.resource = resource
        self.out = out
        self.fmt = fmt
        self.resume = resume
        self.mode = chosen
        self.concurrency = concurrency
        self.progress = progress or (lambda items, total: None)
        self.requests = 0

    async def _total(self) -> int | None:
        count_function = count_operation_for(self.list_module)
        if count_function is None:
            return None
        self.requests += 1
        try:
            answer = await count_function(client=self.client)
        except (APIError, ResponseParseError):
            # The total only drives progress and concurrency; the pages carry the data.
            return None
        count = getattr(answer, "count", None)
        return count if isinstance(count, int) else None

    def _pages_accept_paging(self) -> bool:
        return index()[self.list_module.OPERATION.tool].paginated

    async def _batches(
        self, state: ExportState, total: int | None
    ) -> AsyncIterator[tuple[Sequence[Any], dict[str, int]]]:
        """Pages in order, each with the state to record once it is written."""
        if self.mode == "after":
            assert self.after_module is not None  # checked in __init__
            walker = self.client.paginate_after(self.after_module, after_id=state.after_id)
            async for batch in walker.pages():
                yield batch, {"after_id": max_id(batch)}
            self.requests += walker.requests
        elif self._pages_accept_paging():
            # With the total known, the pages from next_page on are fetched concurrently.
            paginator = self.client.paginate(
                self.list_module,
                start_page=state.next_page,
                concurrency=self.concurrency,
                use_count=False,
                known_total=total,
            )
            page = state.next_page
            async for batch in paginator.pages():
                page += 1
                yield batch, {"next_page": page}
            self.requests += paginator.requests
        else:
            self.requests += 1
            answer = await self.list_module.asyncio(client=self.client)
            yield (answer if isinstance(answer, list) else [answer]), {"next_page": 2}

    async def run(self) -> ExportResult:
        """Export (or resume) to the output file; the counts, time and columns of the run."""
        started = time.monotonic()
        state_path = _state_path(self.out)
        data_path = _data_path(self.out, self.fmt)
        state = _load_state(state_path, self.resource, self.fmt) if self.resume else None
        if state is not None and state.done:
            raise ConfigurationError(f"{self.out} is already complete; nothing to resume")
        if state is None:
            state = ExportState(self.resource, self.fmt, self.mode)
            data_path.parent.mkdir(parents=True, exist_ok=True)
            data_path.write_bytes(b"")
        resumed_from = state.items
        self.mode = state.mode
        total = await self._total()
        null_items = 0
        with data_path.open("r+b") as handle:
            handle.truncate(state.bytes_written)  # drop a page cut short by the interruption
            handle.seek(state.bytes_written)
            self.progress(state.items, total)
            async for batch, position in self._batches(state, total):
                lines = []
                for item in batch:
                    if item is None:
                        null_items += 1
                        continue
                    lines.append(
                        json.dumps(_unwrap(item), ensure_ascii=False, separators=(",", ":"))
                    )
                if lines:
                    handle.write(("\n".join(lines) + "\n").encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
                state.items += len(lines)
                state.bytes_written = handle.tell()
                for key, value in position.items():
                    setattr(state, key, value)
                _save_state(state_path, state)
                self.progress(state.items, total)
        columns: list[str] = []
        if self.fmt == "csv":
            columns = _jsonl_to_csv(data_path, self.out)
            data_path.unlink()
        state.done = True
        state_path.unlink()
        return ExportResult(
            resource=self.resource,
            path=self.out,
            items=state.items,
            requests=self.requests,
            elapsed=time.monotonic() - started,
            resumed_from=resumed_from,
            null_items=null_items,
            columns=columns,
        )


def _jsonl_to_csv(source: Path, out: Path) -> list[str]:
    """Two streaming passes: the union of keys (for the header), then the rows."""
    columns: dict[str, None] = {}
    with source.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if isinstance(record, dict):
                columns.update(dict.fromkeys(record))
            else:
                columns["value"] = None
    header = list(columns)
    tmp = out.with_name(out.name + ".tmp")
    with (
        source.open(encoding="utf-8") as handle,
        tmp.open("w", encoding="utf-8", newline="") as target,
    ):
        writer = csv.DictWriter(target, fieldnames=header)
        writer.writeheader()
        for line in handle:
            record = json.loads(line)
            if not isinstance(record, dict):
                record = {"value": record}
            # Nested values stay JSON so nothing is flattened away.
            writer.writerow(
                {
                    key: json.dumps(value, ensure_ascii=False)
                    if isinstance(value, (dict, list))
                    else value
                    for key, value in record.items()
                }
            )
    os.replace(tmp, out)
    return header
