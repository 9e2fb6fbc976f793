"""The rate card: what a cluster costs per hour, from a versioned YAML file in rate_cards/.

A card holds DBUs per hour per node type, dollars per DBU per SKU and dollars per hour per local
machine, each with its source and date. `environment.cost.rate_card` names the card a run is priced
by; unknown fields, and a node type, SKU or machine the card lacks, are errors that name the file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PositiveFloat, PrivateAttr, ValidationError

from lakegate.yaml_load import safe_load

RATE_CARDS_DIR = Path(__file__).resolve().parent / "rate_cards"


class RateCardError(ValueError):
    """A rate card that cannot be read, or that cannot price what it was asked to. Meant for the user."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NodeTypeRate(_Strict):
    dbus_per_hour: PositiveFloat


class SkuRate(_Strict):
    usd_per_dbu: PositiveFloat


class MachineRate(_Strict):
    usd_per_hour: PositiveFloat
    source: str


@dataclass(frozen=True)
class ClusterPrice:
    dbus_per_hour: float
    usd_per_hour: float


class RateCard(_Strict):
    version: str
    date: dt.date
    list_prices: bool  # list prices ignore discounts and commitments: said so, never implied
    source: list[str]
    node_types: dict[str, NodeTypeRate]
    skus: dict[str, SkuRate]
    machines: dict[str, MachineRate] = {}
    _file: str = PrivateAttr(default="<memory>")

    @property
    def file(self) -> str:
        return self._file

    def node_type(self, node_type_id: str) -> NodeTypeRate:
        return self._entry(self.node_types, "Node type", node_type_id)

    def sku(self, name: str) -> SkuRate:
        return self._entry(self.skus, "SKU", name)

    def machine(self, name: str) -> MachineRate:
        return self._entry(self.machines, "Machine", name)

    def _entry(self, table: dict, kind: str, name: str):
        if name not in table:
            raise RateCardError(f"{kind} {name!r} is not on the rate card {self._file}; it prices {sorted(table)}.")
        return table[name]

    def cluster_dbus_per_hour(self, cluster: dict) -> float:
        """The most DBUs the cluster bills in an hour: its driver plus its workers, an autoscaling
        cluster at max_workers (Databricks' virtual policy attribute `dbus_per_hour` counts it so)."""
        worker_type = cluster.get("node_type_id")
        driver_type = cluster.get("driver_node_type_id") or worker_type
        if not worker_type:
            raise RateCardError("The cluster names no node_type_id, so it cannot be priced "
                                f"(instance pools are not on the rate card {self._file}).")
        autoscale = cluster.get("autoscale")
        workers = autoscale.get("max_workers", 0) if autoscale else cluster.get("num_workers", 0)
        dbus = self.node_type(driver_type).dbus_per_hour + workers * self.node_type(worker_type).dbus_per_hour
        return round(dbus, 6)  # 5 x 0.34 is 1.7, not 1.7000000000000002, against a policy's maxValue 1.7

    def price_cluster(self, cluster: dict, sku: str) -> ClusterPrice:
        dbus = self.cluster_dbus_per_hour(cluster)
        return ClusterPrice(dbus_per_hour=dbus, usd_per_hour=dbus * self.sku(sku).usd_per_dbu)


def read_rate_card(path: Path) -> RateCard:
    try:
        card = RateCard.model_validate(safe_load(path.read_text()))
    except FileNotFoundError:
        raise RateCardError(f"No rate card {path}.") from None
    except ValidationError as error:
        raise RateCardError(f"The rate card {path} is invalid: {error}") from None
    if card.version != path.stem:  # a copied file keeps its old version: refuse it rather than mislabel estimates
        raise RateCardError(f"The rate card {path} says version {card.version!r}; a card's version is its file name.")
    card._file = str(path)
    return card


@lru_cache(maxsize=8)
def load_rate_card(name: str) -> RateCard:
    """The card `rate_cards/<name>.yaml` (the environment's `cost.rate_card`); read once a process."""
    known = sorted(path.stem for path in RATE_CARDS_DIR.glob("*.yaml"))
    if name not in known:
        raise RateCardError(f"No rate card {name!r} in {RATE_CARDS_DIR}; the cards are {known}.")
    return read_rate_card(RATE_CARDS_DIR / f"{name}.yaml")
