"""A job run's list cost from Databricks' billing system tables: `system.billing.usage` records of the
run (`usage_metadata.job_run_id`) × the `system.billing.list_prices` price of their SKU in effect when
the usage started (`pricing.default`, list price: contract discounts are not in it).

Read here as Delta through the table's storage location, which the emulator serves. A real
workspace's system tables are not readable that way: there a SQL warehouse (statement execution) or
a Spark job reads them, and records land within about 12 hours (docs/cost.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

USAGE_TABLE = "system.billing.usage"
LIST_PRICES_TABLE = "system.billing.list_prices"
BILLING = "billing"  # the cost table's actual_source for actuals from these tables
_NEVER = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


class BillingError(RuntimeError):
    """Billing records that cannot be priced or read; the message says which and why."""


@dataclass(frozen=True)
class BilledRun:
    job_run_id: str
    dbus: float
    usd: float
    started_at: dt.datetime  # the earliest usage record's start
    ended_at: dt.datetime  # the latest one's end
    records: int


def billed_runs(usage: pa.Table, prices: pa.Table, job_run_ids: Iterable[str] | None = None) -> dict[str, BilledRun]:
    """{job_run_id: BilledRun} summed over the runs' usage records (a retraction's negative quantity
    and its restatement included, as Databricks corrects records)."""
    wanted = None if job_run_ids is None else {str(i) for i in job_run_ids}
    price_rows = prices.to_pylist()
    totals: dict[str, dict] = {}
    for record in usage.to_pylist():
        run_id = (record["usage_metadata"] or {}).get("job_run_id")
        if run_id is None or (wanted is not None and run_id not in wanted):
            continue
        price = _price(price_rows, record)
        run = totals.setdefault(run_id, {"dbus": Decimal(0), "usd": Decimal(0), "start": record["usage_start_time"],
                                         "end": record["usage_end_time"], "records": 0})
        run["dbus"] += record["usage_quantity"]
        run["usd"] += record["usage_quantity"] * price
        run["start"], run["end"] = min(run["start"], record["usage_start_time"]), max(run["end"], record["usage_end_time"])
        run["records"] += 1
    return {run_id: BilledRun(run_id, float(t["dbus"]), float(t["usd"]), t["start"], t["end"], t["records"])
            for run_id, t in totals.items()}


def _price(price_rows: list[dict], record: dict) -> Decimal:
    at = record["usage_start_time"]
    for row in price_rows:
        if (row["sku_name"] == record["sku_name"] and row["cloud"] == record["cloud"]
                and row["usage_unit"] == record["usage_unit"]
                and row["price_start_time"] <= at < (row["price_end_time"] or _NEVER)):
            return row["pricing"]["default"]
    raise BillingError(f"no list price for SKU {record['sku_name']} on {record['cloud']} at {at.isoformat()} "
                       f"in {LIST_PRICES_TABLE}")


def read_workspace_billing(client, job_run_ids: Iterable[str]) -> dict[str, BilledRun]:
    """The billed runs among `job_run_ids`, read through `WorkspaceClient.tables.get(...).storage_location`."""
    wanted = [str(i) for i in job_run_ids]
    if not wanted:
        return {}
    usage = _read(client, USAGE_TABLE, pc.field("usage_metadata", "job_run_id").isin(wanted))
    return billed_runs(usage, _read(client, LIST_PRICES_TABLE), wanted)


def _read(client, name: str, where=None) -> pa.Table:
    location = client.tables.get(name).storage_location
    try:
        return DeltaTable(location).to_pyarrow_dataset().to_table(filter=where)
    except (DeltaError, OSError) as exc:
        raise BillingError(f"{name} at {location} cannot be read as Delta here ({exc}); on a real workspace "
                           "system tables are read through a SQL warehouse (docs/cost.md)") from None
