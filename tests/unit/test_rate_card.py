"""The rate card (lakegate/cost/rate_card.py): the shipped card reads, prices a cluster, and every
bad file or missing entry is an error that names the file."""

import pytest
import yaml

from lakegate.cost.rate_card import RATE_CARDS_DIR, RateCardError, load_rate_card, read_rate_card
from lakegate.environment import CostConfig

NAME = "databricks-aws-us-east-1-2026-12"


def test_the_environments_default_card_ships_with_its_version_source_and_list_price_flag():
    default = CostConfig.model_fields["rate_card"].default
    card = load_rate_card(default)
    assert card.version == default == NAME and card.list_prices and str(card.date) == "2026-12-01"
    assert all(url.startswith("https://") for url in card.source)
    assert {"m5.large", "m5.xlarge", "i3.xlarge"} <= set(card.node_types)
    assert {CostConfig.model_fields["sku"].default, "ALL_PURPOSE_COMPUTE"} <= set(card.skus)
    assert card.machine(CostConfig.model_fields["machine"].default).source.startswith("https://")


def test_a_cluster_is_priced_driver_plus_workers_autoscale_at_max_workers():
    card = load_rate_card(NAME)
    fixed = card.price_cluster({"node_type_id": "m5.xlarge", "num_workers": 3}, "JOBS_COMPUTE")
    assert fixed.dbus_per_hour == pytest.approx(4 * 0.69) and fixed.usd_per_hour == pytest.approx(4 * 0.69 * 0.15)
    scaling = card.price_cluster({"node_type_id": "m5.large", "driver_node_type_id": "i3.xlarge",
                                  "autoscale": {"min_workers": 1, "max_workers": 5}}, "ALL_PURPOSE_COMPUTE")
    assert scaling.dbus_per_hour == pytest.approx(1.0 + 5 * 0.34)
    assert scaling.usd_per_hour == pytest.approx((1.0 + 5 * 0.34) * 0.55)
    assert card.cluster_dbus_per_hour({"node_type_id": "m5.large"}) == 0.34  # single node: the driver alone
    assert card.cluster_dbus_per_hour({"node_type_id": "m5.large", "num_workers": 4}) == 1.7  # not 1.7000000000000002


def test_what_the_card_lacks_is_an_error_naming_the_file():
    card = load_rate_card(NAME)
    for ask, match in [(lambda: card.price_cluster({"node_type_id": "x9.huge"}, "JOBS_COMPUTE"), "Node type 'x9.huge'"),
                       (lambda: card.price_cluster({"node_type_id": "m5.large"}, "PREMIUM_JOBS"), "SKU 'PREMIUM_JOBS'"),
                       (lambda: card.machine("laptop"), "Machine 'laptop'"),
                       (lambda: card.price_cluster({"instance_pool_id": "p"}, "JOBS_COMPUTE"), "names no node_type_id")]:
        with pytest.raises(RateCardError, match=match) as refused:
            ask()
        assert f"{NAME}.yaml" in str(refused.value)


def test_an_unknown_card_name_lists_the_cards_there_are():
    with pytest.raises(RateCardError, match=f"No rate card 'azure-2020'.*'{NAME}'"):
        load_rate_card("azure-2020")
    with pytest.raises(RateCardError, match="No rate card"):
        load_rate_card("../rate_cards/" + NAME)


def shipped() -> dict:
    return yaml.safe_load((RATE_CARDS_DIR / f"{NAME}.yaml").read_text())


@pytest.mark.parametrize(("change", "match"), [
    (lambda card: card.update(discount=0.1), "discount"),
    (lambda card: card["node_types"]["m5.large"].update(dbu=1), "dbu"),
    (lambda card: card["skus"]["JOBS_COMPUTE"].update(usd_per_dbu=-1), "usd_per_dbu"),
    (lambda card: card.pop("source"), "source"),
    (lambda card: card.update(version="older"), "says version 'older'"),
])
def test_a_bad_card_is_refused_naming_the_file_and_the_field(tmp_path, change, match):
    card = shipped()
    change(card)
    path = tmp_path / f"{NAME}.yaml"
    path.write_text(yaml.safe_dump(card))
    with pytest.raises(RateCardError, match=match) as refused:
        read_rate_card(path)
    assert str(path) in str(refused.value)
