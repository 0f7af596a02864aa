# One verb per target. `make demo` and `make test` are the two commands a fresh machine needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install generate check-generated lint typecheck test test-unit test-integration check demo demo-redis bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,cli,redis,fastapi]'
	touch $(STAMP)

install: $(STAMP)

generate: $(STAMP)
	$(PY) -m codegen generate

check-generated: $(STAMP)
	$(PY) -m codegen check

lint: $(STAMP)
	$(BIN)/ruff check jumpseller_async codegen tests benchmarks examples
	$(BIN)/ruff format --check jumpseller_async codegen tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/pytest -q

# Unit tests: mocked transports and fake clocks only; integration: real local servers.
test-unit: $(STAMP)
	$(BIN)/pytest -q -m "not integration"

test-integration: $(STAMP)
	$(BIN)/pytest -q -m integration

check: lint typecheck check-generated test

demo: $(STAMP)
	$(BIN)/jumpseller-async demo

# 4 processes export one fake store sharing its budget through a redis-server started here on a
# free port (stopped after), then the same without Redis for contrast.
demo-redis: $(STAMP)
	@command -v redis-server >/dev/null || { echo "redis-server is not installed: sudo apt-get install redis-server"; exit 2; }
	@port=$$($(PY) -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	dir=$$(mktemp -d); \
	redis-server --port $$port --bind 127.0.0.1 --save '' --appendonly no --dir $$dir >/dev/null & pid=$$!; \
	trap 'kill $$pid 2>/dev/null; wait $$pid 2>/dev/null; rm -rf $$dir' EXIT INT TERM; \
	for i in $$(seq 50); do $(PY) -c "import socket; socket.create_connection(('127.0.0.1', $$port), 0.2)" 2>/dev/null && break; sleep 0.1; done; \
	$(BIN)/jumpseller-async demo --processes 4 --products 300 --rate-limit-storage redis://127.0.0.1:$$port/0

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info
