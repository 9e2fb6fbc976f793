# Two commands for a newcomer: `make demo` (the main job on the embedded default) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.lakegate-installed

.PHONY: demo test lock ui mlflow-ui bench clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Lakegate needs Python 3.11 (found " + sys.version.split()[0] + ")")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lakegate demo

test: $(STAMP)
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
