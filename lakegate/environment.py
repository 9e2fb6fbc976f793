"""The environment a process runs in: resolved once from LAKEGATE_ENV, validated, never guessed.

`environments/<name>.yaml` holds the engine, where tables live and the policies later layers add.
Unknown names and unknown fields are errors. Secrets are never in these files: a field ending in
`_env` names the environment variable that holds the secret.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (BaseModel, ConfigDict, Field, NonNegativeInt, PositiveFloat, PositiveInt, StringConstraints,
                      ValidationError, model_validator)

ENVIRONMENTS_DIR = Path(__file__).resolve().parent.parent / "environments"
DEFAULT_ENV = "local"
CATALOGS = ("dev", "test", "prod")


class ConfigError(ValueError):
    """A bad environment name or file. Its message is meant for the user as it is."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EngineConfig(_Strict):
    # sail: in-process Sail server; connect: any Spark Connect URL; databricks: Spark steps as job runs
    # through Pipes (SparkEngine.run_step; docs/decisions/0037-databricks-pipes-engine.md).
    kind: Literal["sail", "connect", "databricks"] = "sail"
    # For `connect`: the environment variable holding the sc:// URL (it may carry a token).
    url_env: str | None = None


class PiiConfig(_Strict):
    hmac_key_env: str = "LAKEGATE_PII_HMAC_KEY"
    # Only for a laptop: generate a key under LAKEGATE_HOME when the variable is unset.
    allow_generated_key: bool = False


class ExpectationPolicy(_Strict):
    # Share of rows a table may quarantine before the warn-level check turns red.
    max_quarantine_share: float = 0.2


class ServingConfig(_Strict):
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 2
    # Bearer tokens, one per scope, from these environment variables.
    invoke_token_env: str = "LAKEGATE_SERVING_INVOKE_TOKEN"
    admin_token_env: str = "LAKEGATE_SERVING_ADMIN_TOKEN"
    # Who the admin token authenticates: the actor of every admin-API change in the audit ledger.
    admin_principal: str = "serving-admin"
    # Only for a laptop: generate tokens under LAKEGATE_HOME/secrets when the variables are unset.
    allow_generated_tokens: bool = False
    # Bounds on one request (docs/decisions/0014-serving-limits-and-loss-window.md). A larger body
    # gets 413 before it is read (16 MiB is Databricks Model Serving's payload limit); more rows
    # than max_rows get 400; bodies of offload_bytes or more are scored off the event loop.
    max_body_bytes: PositiveInt = 16 * 1024 * 1024
    max_rows: PositiveInt = 10_000
    offload_bytes: PositiveInt = 64 * 1024


class TrustConfig(_Strict):
    """Where the roots of trust live: outside LAKEGATE_HOME, which someone without a key may write.

    Each field names the environment variable that holds a path (lakegate/trust.py)."""

    # Public keys of the governance owner (signs policies) and the release signer (signs bundles).
    trusted_keys_env: str = "LAKEGATE_TRUSTED_KEYS"
    # The append-only log the ledger head is published to (WORM storage in production).
    anchor_env: str = "LAKEGATE_LEDGER_ANCHOR"
    # The release signer's Ed25519 private key: it signs evidence-bundle manifests.
    release_key_env: str = "LAKEGATE_RELEASE_KEY_FILE"
    # Only for a laptop: a variable left unset means `<LAKEGATE_HOME>-trust/` beside the home.
    allow_local_trust_dir: bool = False


# The name of an environment variable, never its value: a URL or a password pasted here is refused.
EnvVarName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Severity = Literal["WARN", "ERROR"]
Notifier = Literal["webhook", "email"]


class WebhookConfig(_Strict):
    # A Slack-style incoming webhook carries its secret in the URL, so the URL itself comes from this
    # variable; a name with WEBHOOK in it makes the secret guards (lakegate/secrets.py) know its value.
    url_env: EnvVarName = "LAKEGATE_ALERT_WEBHOOK_URL"
    timeout_seconds: PositiveFloat = 5.0


class EmailConfig(_Strict):
    # "host:port" of the SMTP relay, from this variable (it differs per deployment, like the credentials).
    server_env: EnvVarName = "LAKEGATE_ALERT_SMTP_SERVER"
    sender: str
    recipients: list[str] = Field(min_length=1)
    starttls: bool = False
    # Both unset: no login (a local relay). The password's variable name ends in _PASSWORD, so the
    # secret guards (lakegate/secrets.py) know its value.
    username_env: EnvVarName | None = None
    password_env: EnvVarName | None = None
    timeout_seconds: PositiveFloat = 10.0


class AlertsConfig(_Strict):
    """Alerts on asset checks and on sensors or schedules that stopped ticking (lakegate/alerting/)."""

    check_sensor_interval_seconds: PositiveInt = 30
    liveness_sensor_interval_seconds: PositiveInt = 60
    # After a check's alert fires, the same check does not fire again for this long (flapping).
    cooldown_seconds: NonNegativeInt = 900
    # Per check, by its key as Dagster prints it ("silver/claims:row_count").
    cooldown_overrides: dict[str, NonNegativeInt] = {}
    # Which notifiers each severity goes to; every alert is kept in <catalog>.monitoring.alerts anyway.
    routes: dict[Severity, list[Notifier]] = {"WARN": [], "ERROR": []}
    webhook: WebhookConfig | None = None
    email: EmailConfig | None = None
    # A failed delivery is tried again at the next ticks, this many tries in all, then marked failed.
    delivery_attempts: PositiveInt = 3
    # A sensor or schedule is stale when its last good tick is older than this many intervals.
    liveness_tolerance: float = Field(default=3.0, ge=1.0)

    @model_validator(mode="after")
    def _routes_name_configured_notifiers(self) -> "AlertsConfig":
        for severity, notifiers in self.routes.items():
            for notifier in notifiers:
                if getattr(self, notifier) is None:
                    raise ValueError(f"routes.{severity} names {notifier!r}, which has no {notifier}: section")
        return self

    def cooldown_for(self, key: str) -> int:
        return self.cooldown_overrides.get(key, self.cooldown_seconds)


class DashboardConfig(_Strict):
    """`lakegate dashboard`: a read-only page on 127.0.0.1 behind its own bearer token (lakegate/dashboard/)."""

    port: int = Field(default=8050, ge=1, le=65535)
    # The read-only token, from this environment variable (its name ends in _TOKEN: the secret guards know it).
    token_env: EnvVarName = "LAKEGATE_DASHBOARD_TOKEN"
    # Only for a laptop: generate the token under LAKEGATE_HOME/secrets when the variable is unset.
    allow_generated_token: bool = False


class DatabricksServingConfig(_Strict):
    """How Model Serving runs each served entity (lakegate/serving/databricks_endpoints.py)."""

    workload_size: Literal["Small", "Medium", "Large"] = "Small"
    scale_to_zero_enabled: bool = False
    # Databricks captures each endpoint's traffic in <catalog>.<this schema>.<endpoint>_payload.
    inference_table_schema: str = Field(default="serving", pattern=r"^[a-z][a-z0-9_]*$")
    # A config update on a workspace takes minutes; past this the change is reported as failed.
    update_timeout_seconds: PositiveFloat = 1200.0


class DatabricksJobCluster(_Strict):
    """The job cluster each Spark step's run gets (checked by the workspace against policy_id)."""

    spark_version: str
    node_type_id: str
    num_workers: NonNegativeInt = 1
    policy_id: str | None = None  # a cluster policy's id: not a secret, but workspace-specific
    apply_policy_default_values: bool = True
    custom_tags: dict[str, str] = {}  # merged with Lakegate's own (environment, asset, Dagster run)
    # Variables the cluster gets from the workspace's secret scopes: name -> "<scope>/<key>", set as
    # Databricks' `{{secrets/<scope>/<key>}}` reference (resolved at cluster start, never in the spec).
    secret_env_vars: dict[str, Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+$")]] = {}


class DatabricksJobsConfig(_Strict):
    """Spark steps as one-time job runs (docs/decisions/0037-databricks-pipes-engine.md)."""

    cluster: DatabricksJobCluster
    # Every run gets a timeout: a stuck cluster is stopped by Databricks, not left running.
    timeout_seconds: PositiveInt = 3600
    # How often a run's state and its Pipes messages are polled (dagster-databricks' default, 5 s, is
    # nothing beside a job cluster's minutes of start-up; a trial on the emulator wants 1 s).
    poll_interval_seconds: PositiveFloat = 5.0


class DatabricksConfig(_Strict):
    """A Databricks workspace. Which one is never in this file: the clients (databricks-sdk, mlflow,
    dagster-databricks) read DATABRICKS_HOST and DATABRICKS_TOKEN from the process environment.
    MLflow's tracking URI is then `databricks` and its registry Unity Catalog's, `databricks-uc`
    (docs/decisions/0036-databricks-registry.md)."""

    serving: DatabricksServingConfig = DatabricksServingConfig()
    jobs: DatabricksJobsConfig | None = None


PolicyKind = Literal["promotion", "deployment", "monitoring"]
PolicySetName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class PolicySets(_Strict):
    """Which signed policy set judges each kind of decision here: the `<env>` of
    gates/policies/<use case>/<kind>.<env>.yaml. Unset: the environment's own name (decision 0043)."""

    promotion: PolicySetName | None = None
    deployment: PolicySetName | None = None
    monitoring: PolicySetName | None = None


class CostConfig(_Strict):
    """Cost guardrails for this environment (issue 15; lakegate/cost/): the rate card that prices a
    run, the monthly budgets that refuse one, the threshold above which a run needs a signed
    finance approval, and the cap at which the live stop cancels a running one."""

    # A rate card file's name in lakegate/cost/rate_cards/ (versioned YAML: DBU per hour per node
    # type, dollars per DBU per SKU, each with its source and date).
    rate_card: str = "databricks-aws-us-east-1-2026-12"
    sku: str = "JOBS_COMPUTE"  # the SKU a job cluster's DBUs are billed at
    # The rate card's machine entry that prices a run on the embedded engine (wall time × its rate).
    machine: str = "local-2-core"
    cost_centre: str  # tagged on every run (attribution)
    monthly_budget_usd: PositiveFloat  # the whole environment
    use_case_budgets_usd: dict[str, PositiveFloat] = {}  # per use case (by UseCase name)
    finance_approval_above_usd: PositiveFloat  # a run estimated above this needs role finance's signature
    run_cap_usd: PositiveFloat  # the live stop cancels a run projected past this (or the budget left)
    budget_alert_shares: list[Annotated[float, Field(gt=0, le=1)]] = [0.5, 0.8, 1.0]
    reconciliation_tolerance: PositiveFloat = 0.5  # |actual - estimate| / estimate above this is flagged
    auto_termination_minutes: PositiveInt = 20  # set on every job cluster, beside the run timeout


class Environment(_Strict):
    name: str
    catalog: Literal["dev", "test", "prod"]
    engine: EngineConfig = EngineConfig()
    pii: PiiConfig = PiiConfig()
    expectations: ExpectationPolicy = ExpectationPolicy()
    landing_sensor_interval_seconds: int = 30
    serving: ServingConfig = ServingConfig()
    trust: TrustConfig = TrustConfig()
    alerts: AlertsConfig = AlertsConfig()
    dashboard: DashboardConfig = DashboardConfig()
    databricks: DatabricksConfig | None = None  # set: the registry and serving are the workspace's
    cost: CostConfig | None = None  # None: no guardrails (a laptop); every Databricks environment sets it
    policies: PolicySets = PolicySets()

    @model_validator(mode="after")
    def _databricks_engine_needs_a_workspace(self) -> "Environment":
        if self.engine.kind == "databricks" and self.databricks is None:
            raise ValueError("engine kind 'databricks' needs a databricks: section (the workspace's settings)")
        if self.engine.kind == "databricks" and self.cost is None:
            raise ValueError("engine kind 'databricks' needs a cost: section (budgets and caps; docs/cost.md)")
        jobs = self.databricks.jobs if self.databricks else None
        if self.engine.kind == "databricks" and jobs and self.pii.hmac_key_env not in jobs.cluster.secret_env_vars:
            raise ValueError(f"silver pseudonymizes in its Databricks task: databricks.jobs.cluster.secret_env_vars "
                             f"must give {self.pii.hmac_key_env} from a secret scope (<scope>/<key>)")
        return self

    @property
    def home(self) -> Path:
        return lakegate_home()

    def policy_set(self, kind: PolicyKind) -> str:
        """The `<env>` of the `kind` policy files that judge this environment (`policies`, else its name)."""
        return getattr(self.policies, kind) or self.name


def lakegate_home() -> Path:
    return Path(os.environ.get("LAKEGATE_HOME", "./.lakegate")).resolve()


def available_environments() -> list[str]:
    return sorted(p.stem for p in ENVIRONMENTS_DIR.glob("*.yaml"))


def load_environment(name: str | None = None) -> Environment:
    """Load and validate `environments/<name>.yaml` (name defaults to $LAKEGATE_ENV, then local)."""
    name = name or os.environ.get("LAKEGATE_ENV") or DEFAULT_ENV
    path = ENVIRONMENTS_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ConfigError(
            f"unknown environment {name!r} (LAKEGATE_ENV); known: {', '.join(available_environments())}"
        )
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    if raw.get("name", name) != name:
        raise ConfigError(f"{path}: name {raw.get('name')!r} does not match the file name {name!r}")
    try:
        return Environment(**{**raw, "name": name})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: invalid environment: {problems}") from None


@lru_cache(maxsize=1)
def current_environment() -> Environment:
    """The process's environment, resolved once."""
    return load_environment()
