"""Data contracts: the columns a table promises, checked with pandera before every write.

A table's declaration lists its columns once (`ColumnContract`: type, nullability, code list,
range). From that one list come the pandera schema the data must pass before it is written (Sail
writes NULLs when an append's types do not match, and delta-rs casts numeric strings silently, so
the table itself never refuses) and the column schema the Dagster UI shows for the asset. The
schema is strict: a column the contract does not name, or one it names that is missing, is a
violation too. Messages name the table, the column and the rule, never a value (pandera's own
texts can quote rows; only the type-mismatch text, which names types, is passed on). pandera
(0.6 s to import) loads when data is first checked: declaring a contract does not need it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pyspark.sql import DataFrame
from pyspark.sql import types as T


if TYPE_CHECKING:  # dagster loads where a contract meets the graph: a serving worker reads the specs only
    import dagster as dg

    from lakehouse_assets.pandera_import import pandera_pyspark as pa

# Contract type names (Spark SQL's) and the Spark types the data must have.
SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "double": T.DoubleType(),
    "int": T.IntegerType(),
    "bigint": T.LongType(),
    "date": T.DateType(),
    "timestamp": T.TimestampType(),
    "array<string>": T.ArrayType(T.StringType()),
}


@dataclass(frozen=True)
class ColumnContract:
    name: str
    dtype: str  # a key of SPARK_TYPES
    nullable: bool = True
    one_of: tuple[Any, ...] = ()  # code list: every non-null value is one of these
    minimum: float | None = None  # inclusive
    below: float | None = None  # exclusive
    description: str = ""

    def __post_init__(self):
        if self.dtype not in SPARK_TYPES:
            raise ValueError(f"column {self.name}: unknown contract type {self.dtype!r} (known: {', '.join(SPARK_TYPES)})")

    def rules(self) -> list[str]:
        """The rules beyond type and nullability, as people read them."""
        out = [f"one of {', '.join(map(str, self.one_of))}"] if self.one_of else []
        out += [f">= {_number(self.minimum)}"] if self.minimum is not None else []
        out += [f"< {_number(self.below)}"] if self.below is not None else []
        return out


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Violation:
    column: str
    rule: str


class ContractViolation(Exception):
    def __init__(self, table: str, violations: list[Violation]):
        self.table, self.violations = table, violations
        detail = "; ".join(f"column {v.column}: {v.rule}" for v in violations)
        super().__init__(f"{table}: data contract violated ({detail}); nothing was written")

    def failure(self) -> dg.Failure:
        """What the asset fails with: the message, and every violation as metadata."""
        import dagster as dg

        violations = [{"column": v.column, "rule": v.rule} for v in self.violations]
        return dg.Failure(description=str(self), metadata={"contract_violations": dg.MetadataValue.json(violations)})


def pandera_schema(table: str, columns: tuple[ColumnContract, ...], unique: tuple[str, ...] = ()) -> pa.DataFrameSchema:
    """The pandera (pyspark) schema of a contract: strict, so no column comes or goes unnoticed."""
    from lakehouse_assets.pandera_import import pandera_pyspark as pa

    return pa.DataFrameSchema(
        {c.name: pa.Column(SPARK_TYPES[c.dtype], checks=_checks(c), nullable=c.nullable, description=c.description or None)
         for c in columns},
        strict=True,
        unique=list(unique) or None,
        name=table,
    )


def _checks(c: ColumnContract) -> list[pa.Check]:
    from lakehouse_assets.pandera_import import pandera_pyspark as pa

    checks = [pa.Check.isin(list(c.one_of))] if c.one_of else []
    checks += [pa.Check.ge(c.minimum)] if c.minimum is not None else []
    checks += [pa.Check.lt(c.below)] if c.below is not None else []
    return checks


def violations(df: DataFrame, table: str, columns: tuple[ColumnContract, ...], unique: tuple[str, ...] = ()) -> list[Violation]:
    """Every way `df` breaks the contract (empty when it holds)."""
    from lakehouse_assets.pandera_import import ValidationDepth, config_context

    # Always the whole contract: PANDERA_VALIDATION_ENABLED or _DEPTH in the environment never waive it.
    with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA):
        errors = pandera_schema(table, columns, unique).validate(df).pandera.errors
    return [_violation(reason, item, unique) for by_reason in errors.values()
            for reason, items in by_reason.items() for item in items]


def _violation(reason: str, item: dict, unique: tuple[str, ...]) -> Violation:
    rule = f"{item['check']} ({reason.lower()})"
    if reason == "WRONG_DATATYPE":  # "expected column 'x' to have type DoubleType(), got StringType()"
        return Violation(item["column"], f"{rule}: {item['error']}")
    if reason == "COLUMN_NOT_IN_SCHEMA":  # pandera names the schema as the column
        found = re.search(r"column '([^']+)' not in", item["error"])
        return Violation(found.group(1) if found else item["column"], f"{rule}: the contract has no such column")
    if reason == "DUPLICATES":
        return Violation(", ".join(unique), rule)
    return Violation(item["column"], rule)


def check_contract(df: DataFrame, table: str, columns: tuple[ColumnContract, ...], unique: tuple[str, ...] = ()) -> None:
    """Raise ContractViolation unless `df` holds to the contract: call it before writing `df`."""
    found = violations(df, table, columns, unique)
    if found:
        raise ContractViolation(table, found)


def table_schema(columns: tuple[ColumnContract, ...], unique: tuple[str, ...] = ()) -> dg.TableSchema:
    """The contract as Dagster's column schema (metadata `dagster/column_schema`, shown in the UI)."""
    import dagster as dg

    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=c.name,
                type=c.dtype,
                description=c.description or None,
                constraints=dg.TableColumnConstraints(nullable=c.nullable, unique=unique == (c.name,), other=c.rules()),
            )
            for c in columns
        ],
        constraints=dg.TableConstraints(other=[f"unique ({', '.join(unique)})"]) if unique else None,
    )
