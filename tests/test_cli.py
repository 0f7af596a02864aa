"""The jumpseller-async command against a real fake Jumpseller on loopback (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import csv
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jumpseller_async._cli import main
from jumpseller_async._cli import main as cli_main
from jumpseller_async.testing import FakeJumpseller
from tests._faultclients import LOGIN, NESTED, TOKEN
from tests._faultservers import Answer, FaultServer

pytestmark = pytest.mark.integration


class ServerThread:
    """Runs a FakeJumpseller under uvicorn on its own event loop, so the CLI's asyncio.run works."""

    def __init__(self, fake: FakeJumpseller) -> None:
        self.fake = fake
        self.base_url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self.fake.run_in_background(port=0) as base_url:
            self.base_url = base_url
            self._ready.set()
            await self._stop.wait()

    def __enter__(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(10), "the fake server did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    fake = FakeJumpseller(seed=7, products=400, customers=230, orders=120, limits=None, latency=0.0)
    with ServerThread(fake) as running:
        yield running


def cli(server: ServerThread, *args: str) -> int:
    return main(
        [
            "--base-url",
            server.base_url,
            "--login",
            server.fake.login,
            "--authtoken",
            server.fake.authtoken,
            *args,
        ]
    )


def test_ops_lists_183_operations_and_the_spec_of_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ops"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 183
    by_tool = {line.split()[0]: line for line in lines}
    assert "/products/{id}.json  [both]" in by_tool["products.getProductsIdJson"]
    assert "POST   /fulfillments.json  [official]" in by_tool["fulfillments.postFulfillmentsJson"]
    assert "/partners/stores.json  [apis.guru]" in by_tool["partners.getPartnersStoresJson"]
    assert "/locations.json  [official]" in by_tool["pickupLocations.getLocationsJson"]
    assert sum("[official]" in line for line in lines) == 41
    assert sum("[apis.guru]" in line for line in lines) == 4
    assert sum("[both]" in line for line in lines) == 138
    assert "183 operations (138 in both specs, 41 only in the official spec" in captured.err


def test_call_prints_the_json_answer(
    server: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    product_id = server.fake.store.products.ids[3]
    assert cli(server, "call", "products.getProductsIdJson", f"id={product_id}") == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["product"]["id"] == product_id


def test_call_with_a_body_updates_only_what_was_sent(
    server: ServerThread, capsys: pytest.CaptureFixture[str]
) -> None:
    product_id = server.fake.store.products.ids[5]
    before = server.fake.store.products.get(product_id)
    assert before is not None
    body = json.dumps({"product": {"stock": 3}})
    assert (
        cli(server, "call", "products.putProductsIdJson", f"id={product_id}", "--body", body) == 0
    )
    after = json.loads(capsys.readouterr().out)["product"]
    assert (
        after["stock"] == 3
        and after["name"] == before["name"]
        and after["price"] == before["price"]
    )


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["call", "products.nope"], "unknown operation 'products.nope'", 2),
        (["call", "products.getProductsIdJson", "id=abc"], "id='abc' is not a valid int", 2),
        (["call", "products.getProductsIdJson"], "missing parameter(s) id", 2),
        (
            ["call", "products.getProductsIdJson", "id=1", "colour=red"],
            "unknown parameter 'colour'",
            2,
        ),
        (
            ["call", "products.putProductsIdJson", "id=1", "--body", "{oops"],
            "--body is not valid JSON",
            2,
        ),
        (["call", "products.getProductsIdJson", "id=999999999"], "HTTP 404", 1),
        (
            ["export", "products", "--format", "csv", "--resume", "--out", "/dev/null/x.csv"],
            "/dev/null",
            1,
        ),
    ],
)
def test_mistakes_print_one_line_and_exit_non_zero(
    server: ServerThread,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
    code: int,
) -> None:
    assert cli(server, *args) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("jumpseller-async: ") and message in err[0]


def test_bad_credentials_and_unreachable_server(
    capsys: pytest.CaptureFixture[str], server: ServerThread
) -> None:
    code = main(
        [
            "--base-url",
            server.base_url,
            "--login",
            "x",
            "--authtoken",
            "wrong-token-1234",
            "call",
            "stores.getStoreInfoJson",
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "HTTP 401" in err and "wrong-token-1234" not in err
    code = main(
        [
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--login",
            "x",
            "--authtoken",
            # Registered as a secret for the whole process: a one-letter token would be
            # redacted from every later log line.
            "unreachable-token-5678",
            "--max-retries",
            "0",
            "call",
            "stores.getStoreInfoJson",
        ]
    )
    assert code == 1 and "cannot reach the server" in capsys.readouterr().err


def test_missing_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("JUMPSELLER_LOGIN", raising=False)
    monkeypatch.delenv("JUMPSELLER_AUTHTOKEN", raising=False)
    assert main(["call", "stores.getStoreInfoJson"]) == 2
    assert "JUMPSELLER_LOGIN" in capsys.readouterr().err


def test_console_script_never_shows_a_traceback() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "jumpseller_async._cli",
            "--login",
            "a",
            "--authtoken",
            "b",
            "call",
            "nope.nope",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def read_ids(path: Path) -> list[int]:
    return [json.loads(line)["id"] for line in path.read_text().splitlines()]


def test_export_jsonl_and_csv_have_every_item_once(server: ServerThread, tmp_path: Path) -> None:
    out = tmp_path / "customers.jsonl"
    assert cli(server, "export", "customers", "--out", str(out)) == 0
    assert read_ids(out) == list(server.fake.store.customers.ids)

    out_csv = tmp_path / "orders.csv"
    assert cli(server, "export", "orders", "--format", "csv", "--out", str(out_csv)) == 0
    with out_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["id"]) for r in rows] == list(server.fake.store.orders.ids)
    assert "customer" in rows[0] and json.loads(rows[0]["customer"])["id"]  # nested kept as JSON
    assert not (tmp_path / "orders.csv.state.json").exists()


def test_interrupted_export_resumes_with_every_item_exactly_once(
    server: ServerThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = list(server.fake.store.products.ids)
    out = tmp_path / "products.jsonl"
    # The walk goes 50 at a time by id: drop the connection on its third request.
    server.fake.inject_fault("drop", count=1, path=f"/v1/products/after/{ids[99]}.json")
    assert cli(server, "--max-retries", "0", "export", "products", "--out", str(out)) == 1
    assert "cannot reach the server" in capsys.readouterr().err
    assert read_ids(out) == ids[:100]
    state = json.loads((tmp_path / "products.jsonl.state.json").read_text())
    assert state["after_id"] == ids[99] and state["items"] == 100

    with out.open("a") as handle:  # a crash in the middle of writing a page
        handle.write('{"id": 999999, "name": "half a pa')
    assert cli(server, "export", "products", "--out", str(out), "--resume") == 0
    assert read_ids(out) == ids
    assert "resumed after 100" in capsys.readouterr().out
    assert not (tmp_path / "products.jsonl.state.json").exists()


def test_resume_refuses_another_export_state(
    server: ServerThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.jsonl"
    (tmp_path / "x.jsonl.state.json").write_text(
        json.dumps({"resource": "orders", "format": "jsonl", "mode": "after"})
    )
    assert cli(server, "export", "products", "--out", str(out), "--resume") == 2
    assert "an export of orders as jsonl, not products" in capsys.readouterr().err


def test_demo_runs_to_its_summary_with_zero_rejections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "demo",
            "--products",
            "150",
            "--orders",
            "120",
            "--customers",
            "90",
            "--limits",
            "8/0.2,60/2",
            "--latency",
            "0.005",
            "--out-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "summary: 360 items" in out and "rate-limit rejections: 0" in out
    assert sum(1 for _ in (tmp_path / "products.jsonl").open()) == 150


# --- the store's budget: --rate-limit-storage and --max-wait ----------------------------------


@pytest.mark.parametrize(
    "args",
    [
        [
            "--rate-limit-storage",
            "redis://:s3cret-pw@localhost:notaport/0",
            "call",
            "stores.getStoreInfoJson",
        ],
        [
            "call",
            "stores.getStoreInfoJson",
            "--rate-limit-storage",
            "redis://:s3cret-pw@localhost:99999/0",
        ],
        ["export", "products", "--rate-limit-storage", "memcached://:s3cret-pw@localhost/"],
        ["demo", "--processes", "2", "--rate-limit-storage", "redis://:s3cret-pw@h:port/0"],
    ],
)
def test_a_bad_storage_url_is_one_line_and_exit_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--login", "store-a", "--authtoken", "token-for-cli-tests-0123456789", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "rate_limit_storage" in err and "s3cret-pw" not in err


def test_the_storage_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JUMPSELLER_RATE_LIMIT_STORAGE", "redis://localhost:x/0")
    assert (
        main(
            [
                "--login",
                "store-a",
                "--authtoken",
                "token-for-cli-tests-0123456789",
                "call",
                "stores.getStoreInfoJson",
            ]
        )
        == 2
    )
    assert "is not a valid Redis URL" in capsys.readouterr().err


def test_missing_redis_py_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis -> ImportError
    monkeypatch.setitem(sys.modules, "redis.asyncio", None)
    code = main(
        [
            "--login",
            "store-a",
            "--authtoken",
            "token-for-cli-tests-0123456789",
            "--rate-limit-storage",
            "redis://h/0",
            "call",
            "stores.getStoreInfoJson",
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert "pip install 'jumpseller-async[redis]'" in err


def test_a_negative_max_wait_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--login",
                "store-a",
                "--authtoken",
                "token-for-cli-tests-0123456789",
                "call",
                "stores.getStoreInfoJson",
                "--max-wait",
                "-1",
            ]
        )
        == 2
    )
    assert "max_wait" in capsys.readouterr().err


def test_options_reach_the_client(redis_url: str) -> None:
    from jumpseller_async._cli import build_parser
    from jumpseller_async._cli._common import client as _client

    args = build_parser().parse_args(
        [
            *(
                "--login",
                "store-a",
                "--authtoken",
                "token-for-cli-tests-0123456789",
                "call",
                "stores.getStoreInfoJson",
            ),
            *("--max-wait", "2.5", "--rate-limit-storage", redis_url),
        ]
    )
    client = _client(args)
    assert client._rate_limit_storage == redis_url
    assert client._sender._max_wait == 2.5


def test_demo_processes_shares_the_budget_through_redis(
    redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "demo",
            "--processes",
            "2",
            "--rate-limit-storage",
            redis_url,
            "--products",
            "60",
            "--limits",
            "8/0.2,60/3",
            "--latency",
            "0.002",
            "--out-dir",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    shared, alone = out.split("in-memory limiter per process")
    assert "refusals: 0 of" in shared and "failed exports: 0" in shared
    assert "every item exactly once in every file: yes" in shared
    assert "makespan" in alone and "% of optimal" in alone
    assert sorted(p.name for p in (tmp_path / "run-1").iterdir()) == [
        "products-0.jsonl",
        "products-1.jsonl",
    ]


def test_connection_options_work_after_the_command(server: ServerThread, tmp_path: Path) -> None:
    out = tmp_path / "customers.jsonl"
    after = [
        "--base-url",
        server.base_url,
        "--login",
        server.fake.login,
        "--authtoken",
        server.fake.authtoken,
        "--max-retries",
        "1",
    ]
    assert main(["export", "customers", "--out", str(out), *after]) == 0
    assert read_ids(out) == list(server.fake.store.customers.ids)
    # Before the command still works, and a value given before is not reset by the default after.
    from jumpseller_async._cli import build_parser

    args = build_parser().parse_args(["--timeout", "7", "call", "stores.getStoreInfoJson"])
    assert args.timeout == 7.0 and args.auth == "basic"
    args = build_parser().parse_args(["call", "stores.getStoreInfoJson", "--auth", "query"])
    assert args.auth == "query" and args.timeout == 30.0


def test_a_command_loads_only_its_own_module() -> None:
    # The CLI starts fast: --help loads no command, a command loads only its own module, and
    # none of them loads the fake server or uvicorn before it runs.
    script = """
import contextlib, io, json, sys
from jumpseller_async._cli import build_parser

def loaded():
    prefix = "jumpseller_async._cli."
    return {
        "commands": sorted(
            name[len(prefix):] for name in sys.modules
            if name.startswith(prefix) and not name[len(prefix):].startswith("_")
        ),
        "fake": "jumpseller_async.testing" in sys.modules or "uvicorn" in sys.modules,
    }

seen = []
for argv in (["--help"], ["ops"], ["export", "products"], ["demo", "--processes", "2"]):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
        build_parser().parse_args(argv)
    seen.append(loaded())
print(json.dumps(seen))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == [
        {"commands": [], "fake": False},
        {"commands": ["ops"], "fake": False},
        {"commands": ["export", "ops"], "fake": False},
        {"commands": ["demo", "export", "ops"], "fake": False},
    ]


# --- nested JSON in answers and bodies ------------------------------------------------------------


@pytest.mark.integration
async def test_cli_prints_one_line_for_nested_answers_and_bodies(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with FaultServer(lambda seen, index: Answer(body=NESTED)) as server:
        args = ["--base-url", server.base_url, "--login", LOGIN, "--authtoken", TOKEN]
        args += ["--max-retries", "0"]
        code = await asyncio.to_thread(
            cli_main, [*args, "call", "products.getProductsIdJson", "id=5"]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 1 and len(err) == 1 and "not the JSON" in err[0]
        body = "[" * 100_000 + "]" * 100_000
        code = await asyncio.to_thread(
            cli_main, [*args, "call", "products.putProductsIdJson", "id=5", "--body", body]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "not valid JSON" in err[0]
        code = await asyncio.to_thread(
            cli_main,
            [*args, "call", "products.getProductsIdJson", "id=5", "locale=" + "x" * 70_000],
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "query parameter locale is 70,0" in err[0]
        code = await asyncio.to_thread(
            cli_main, [*args, "call", "products.getProductsIdJson", "id=" + "7" * 70_000]
        )
        err = capsys.readouterr().err.strip().splitlines()
        assert code == 2 and len(err) == 1 and "70,000 characters" in err[0] and len(err[0]) < 400
    assert len(server.seen) == 1  # only the first call was sent
