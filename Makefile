# Two commands for a newcomer: `make demo` (the main job on the embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lakegate-installed

.PHONY: demo test browser lock ui mlflow-ui bench clean

# Bytecode caches on, whatever the shell says (this machine's image sets PYTHONDONTWRITEBYTECODE; Python
# takes an empty value as unset): the demo and the suite start hundreds of Python processes, each of
# which would compile the product's modules again, and each pytest worker would rewrite every test
# module again (unit tier 67 s without the caches, 53 s with them; decision 0048).
export PYTHONDONTWRITEBYTECODE :=

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Lakegate needs Python 3.11 (found " + sys.version.split()[0] + ")")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lakegate demo

# The dashboard's browser tests drive Debian's chromium through chromium-driver: installed when missing
# (apt-get, as root), or a message saying how. A browser test never skips itself.
CHROMEDRIVER := /usr/bin/chromedriver

$(CHROMEDRIVER):
	@command -v apt-get >/dev/null || { echo "the browser tests need chromium and chromedriver at /usr/bin: install Debian's chromium and chromium-driver packages"; exit 1; }
	@[ "$$(id -u)" = 0 ] || { echo "the browser tests need Debian's chromium and chromium-driver: run  sudo apt-get install -y chromium chromium-driver  (or make test as root)"; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
	@test -x /usr/bin/chromium && test -x $(CHROMEDRIVER)

browser: $(CHROMEDRIVER)

test: $(STAMP) $(CHROMEDRIVER)
	$(BIN)/python -m pytest -n 2

# Re-resolve the pinned direct dependencies of pyproject.toml into requirements.lock.
lock:
	rm -rf /tmp/lakegate-lock-venv && $(PYTHON) -m venv /tmp/lakegate-lock-venv
	/tmp/lakegate-lock-venv/bin/pip install --quiet -e '.[test]'
	(echo "# Lakegate's full, pinned dependency set for Python 3.11 (regenerate with: make lock)."; \
	 /tmp/lakegate-lock-venv/bin/pip freeze --exclude-editable | grep -vi '^lakegate') > requirements.lock

ui: $(STAMP)
	DAGSTER_HOME=$(CURDIR)/.lakegate/dagster $(BIN)/dagster dev -h 127.0.0.1 -w workspace.yaml

bench: $(STAMP)
	$(BIN)/python bench/bench_landing_to_gold.py

clean:
	rm -rf .lakegate

# MLflow UI on the embedded store (runs, metrics, artifacts, registered models).
mlflow-ui: $(STAMP)
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/.lakegate/mlflow/mlflow.db --host 127.0.0.1 --port 5000
