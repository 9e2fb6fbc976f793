"""Billing records of finished job runs, in the shape of Databricks' `system.billing.usage` and
`system.billing.list_prices`, as Delta tables under the Unity Catalog root (so `tables.get` finds them).

Each task that ran on a job cluster bills its cluster's DBU rate (the policy check's `dbus_per_hour`:
driver plus workers at their node types' rates) from the task's start to its end, one record per
clock hour it touched, as Databricks aggregates usage hourly. Databricks delivers these within about
12 hours; the emulator writes them before the run reports TERMINATED, so a client that saw the run
end finds its records.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from deltalake import write_deltalake

from databricks_emulator.app import WORKSPACE_ID
from databricks_emulator.errors import ApiError
from databricks_emulator.policy_rules import dbus_per_hour
from databricks_emulator.storage import WorkspaceStorage

_logger = logging.getLogger(__name__)
ACCOUNT_ID = "00000000-0000-4000-8000-00000000e001"
CLOUD = "AWS"  # the node types are AWS's
JOBS_SKU, JOBS_PHOTON_SKU = "PREMIUM_JOBS_COMPUTE", "PREMIUM_JOBS_COMPUTE_(PHOTON)"
LIST_PRICES_USD = {JOBS_SKU: "0.15", JOBS_PHOTON_SKU: "0.15"}  # per DBU, AWS Premium list
PRICES_SINCE = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
_DECIMAL = pa.decimal128(38, 18)
_TS = pa.timestamp("us", tz="UTC")
USAGE_METADATA_FIELDS = ("cluster_id", "job_id", "warehouse_id", "instance_pool_id", "node_type", "job_run_id",
                         "notebook_id", "dlt_pipeline_id", "endpoint_name", "endpoint_id", "dlt_update_id",
                         "dlt_maintenance_id", "run_name", "job_name", "notebook_path")
USAGE_SCHEMA = pa.schema([
    ("record_id", pa.string()), ("account_id", pa.string()), ("workspace_id", pa.string()),
    ("sku_name", pa.string()), ("cloud", pa.string()), ("usage_start_time", _TS), ("usage_end_time", _TS),
    ("usage_date", pa.date32()), ("custom_tags", pa.map_(pa.string(), pa.string())), ("usage_unit", pa.string()),
    ("usage_quantity", _DECIMAL),
    ("usage_metadata", pa.struct([(name, pa.string()) for name in USAGE_METADATA_FIELDS])),
    ("identity_metadata", pa.struct([("run_as", pa.string()), ("owned_by", pa.string()), ("created_by", pa.string())])),
    ("record_type", pa.string()), ("ingestion_date", pa.date32()), ("billing_origin_product", pa.string()),
    ("product_features", pa.struct([("jobs_tier", pa.string()), ("sql_tier", pa.string()), ("dlt_tier", pa.string()),
                                    ("is_serverless", pa.bool_()), ("is_photon", pa.bool_()),
                                    ("serving_type", pa.string())])),
    ("usage_type", pa.string()),
])
_PRICE = pa.struct([("default", _DECIMAL)])
LIST_PRICES_SCHEMA = pa.schema([
    ("price_start_time", _TS), ("price_end_time", _TS), ("account_id", pa.string()), ("sku_name", pa.string()),
    ("cloud", pa.string()), ("currency_code", pa.string()), ("usage_unit", pa.string()),
    ("pricing", pa.struct([("default", _DECIMAL), ("promotional", _PRICE), ("effective_list", _PRICE)])),
])
_write_lock = threading.Lock()  # runs end on threads of their own; one Delta commit at a time


def usage_path(storage: WorkspaceStorage) -> Path:
    return storage.unity_catalog_root / "system" / "billing" / "usage"


def list_prices_path(storage: WorkspaceStorage) -> Path:
    return storage.unity_catalog_root / "system" / "billing" / "list_prices"


def record_run_usage(storage: WorkspaceStorage, run_view: dict) -> None:
    """Append the run's billing records (and the price list, the first time). A failure is logged,
    never raised: billing must not change how a run ends."""
    try:
        rows = usage_rows(run_view, dt.datetime.now(dt.timezone.utc))
        with _write_lock:
            _ensure_list_prices(storage)
            if rows:
                write_deltalake(str(usage_path(storage)), pa.Table.from_pylist(rows, USAGE_SCHEMA), mode="append")
    except Exception:  # noqa: BLE001 - logged with its traceback; the run's outcome stands
        _logger.exception("billing records of run %s were not written", run_view.get("run_id"))


def usage_rows(run_view: dict, ingested: dt.datetime) -> list[dict]:
    rows = []
    for task in run_view.get("tasks", []):
        cluster = task.get("_cluster")
        if not cluster or not task.get("start_time") or not task.get("end_time"):
            continue  # serverless, or never started: no job cluster time
        try:
            rate = dbus_per_hour(cluster)
        except ApiError as error:  # no or an unknown node type: the policy check's own message
            _logger.warning("run %s: cluster %s bills nothing: %s", run_view["run_id"], cluster["cluster_id"], error.message)
            continue
        start, end = (dt.datetime.fromtimestamp(task[k] / 1000, dt.timezone.utc) for k in ("start_time", "end_time"))
        for begin, finish in hour_slices(start, end):
            dbus = Decimal(str(rate)) * Decimal((finish - begin).total_seconds()) / Decimal(3600)
            rows.append(_record(run_view, task, cluster, begin, finish, dbus, ingested))
    return rows


def hour_slices(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """[start, end) cut at clock hours: Databricks' usage records never span an hour boundary."""
    slices, begin = [], start
    while begin < end:
        finish = min(end, begin.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1))
        slices.append((begin, finish))
        begin = finish
    return slices


def _record(run_view: dict, task: dict, cluster: dict, begin: dt.datetime, finish: dt.datetime, dbus: Decimal,
            ingested: dt.datetime) -> dict:
    photon = cluster.get("runtime_engine") == "PHOTON" or "photon" in str(cluster.get("spark_version", ""))
    run_id, job_id = str(run_view["run_id"]), str(run_view["job_id"])
    default_tags = {"Vendor": "Databricks", "Creator": run_view.get("creator_user_name", ""),
                    "ClusterId": cluster["cluster_id"], "ClusterName": f"job-{job_id}-run-{task['run_id']}",
                    "JobId": job_id, "RunName": run_view.get("run_name", "")}
    metadata = dict.fromkeys(USAGE_METADATA_FIELDS)
    metadata.update(cluster_id=cluster["cluster_id"], job_id=job_id, job_run_id=run_id,
                    node_type=cluster["node_type_id"], run_name=run_view.get("run_name"),
                    instance_pool_id=cluster.get("instance_pool_id"))
    creator = run_view.get("creator_user_name")
    return {"record_id": str(uuid.uuid4()), "account_id": ACCOUNT_ID, "workspace_id": WORKSPACE_ID,
            "sku_name": JOBS_PHOTON_SKU if photon else JOBS_SKU, "cloud": CLOUD,
            "usage_start_time": begin, "usage_end_time": finish, "usage_date": begin.date(),
            "custom_tags": list({**default_tags, **(cluster.get("custom_tags") or {})}.items()),
            "usage_unit": "DBU", "usage_quantity": dbus.quantize(Decimal("1e-18")), "usage_metadata": metadata,
            "identity_metadata": {"run_as": creator, "owned_by": None, "created_by": creator},
            "record_type": "ORIGINAL", "ingestion_date": ingested.date(), "billing_origin_product": "JOBS",
            "product_features": {"jobs_tier": "PREMIUM", "sql_tier": None, "dlt_tier": None, "is_serverless": False,
                                 "is_photon": photon, "serving_type": None},
            "usage_type": "COMPUTE_TIME"}


def _ensure_list_prices(storage: WorkspaceStorage) -> None:
    path = list_prices_path(storage)
    if (path / "_delta_log").is_dir():
        return
    rows = [{"price_start_time": PRICES_SINCE, "price_end_time": None, "account_id": ACCOUNT_ID, "sku_name": sku,
             "cloud": CLOUD, "currency_code": "USD", "usage_unit": "DBU",
             "pricing": {"default": Decimal(price), "promotional": {"default": Decimal(price)},
                         "effective_list": {"default": Decimal(price)}}}
            for sku, price in LIST_PRICES_USD.items()]
    write_deltalake(str(path), pa.Table.from_pylist(rows, LIST_PRICES_SCHEMA), mode="overwrite")
