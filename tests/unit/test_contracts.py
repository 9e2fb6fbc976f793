"""Data contracts as declared: every silver table's contract, its pandera schema and the column
schema the Dagster UI shows, all from one list of columns."""

import dagster as dg
import pytest
from pyspark.sql import types as T

from lakehouse_assets.contracts import ColumnContract, ContractViolation, Violation, pandera_schema, table_schema
from lakehouse_assets.silver.assets import build_silver_asset
from lakehouse_assets.silver.tables import SILVER_TABLES


@pytest.mark.parametrize("name", sorted(SILVER_TABLES))
def test_every_silver_table_promises_its_key_and_update_time(name):
    table = SILVER_TABLES[name]
    columns = {c.name: c for c in table.columns}
    assert len(columns) == len(table.columns), "a column is declared twice"
    for key in table.key:
        assert not columns[key].nullable, f"{name}.{key} is part of the key"
    assert not columns[table.source.updated_at].nullable


def test_the_pandera_schema_carries_types_nullability_code_lists_and_ranges():
    columns = (
        ColumnContract("id", "string", nullable=False),
        ColumnContract("kind", "string", one_of=("a", "b")),
        ColumnContract("amount", "double", minimum=0, below=100),
        ColumnContract("tags", "array<string>"),
    )
    schema = pandera_schema("dev.silver.things", columns, unique=("id",))
    assert schema.name == "dev.silver.things" and schema.strict is True and schema.unique == ["id"]
    assert schema.columns["id"].dtype.type == T.StringType() and not schema.columns["id"].nullable
    assert schema.columns["tags"].dtype.type == T.ArrayType(T.StringType())
    assert [c.name for c in schema.columns["kind"].checks] == ["isin"]
    assert [(c.name, c.statistics) for c in schema.columns["amount"].checks] == [
        ("greater_than_or_equal_to", {"min_value": 0}), ("less_than", {"max_value": 100})]


def test_an_unknown_type_is_refused_at_declaration():
    with pytest.raises(ValueError, match="unknown contract type 'decimal'"):
        ColumnContract("amount", "decimal")


def test_the_silver_asset_shows_its_contract_as_the_column_schema():
    table = SILVER_TABLES["claims"]
    spec = next(s for s in build_silver_asset(table).specs if s.key == dg.AssetKey(["silver", "claims"]))
    schema = spec.metadata["dagster/column_schema"]
    assert isinstance(schema, dg.TableSchema) and schema == table_schema(table.columns, unique=table.key)
    by_name = {c.name: c for c in schema.columns}
    assert [c.name for c in schema.columns] == [c.name for c in table.columns]
    assert by_name["amount"].type == "double" and by_name["amount"].constraints.other == [">= 0", "< 10000000"]
    assert by_name["claim_id"].constraints.unique and not by_name["claim_id"].constraints.nullable
    assert by_name["channel"].constraints.nullable
    assert schema.constraints.other == ["unique (claim_id)"]


def test_a_violation_names_table_column_and_rule():
    error = ContractViolation("dev.silver.claims", [Violation("amount", "greater_than_or_equal_to(0) (dataframe_check)")])
    assert str(error) == ("dev.silver.claims: data contract violated (column amount: greater_than_or_equal_to(0) "
                          "(dataframe_check)); nothing was written")
