"""Unity Catalog tables as Delta under `<root>/unity-catalog/<catalog>/<schema>/<table>`.

A catalog or schema is a folder; a table is a Delta table in its schema's folder, whatever wrote it
(a job run through Sail, delta-rs). Table info (columns, storage location, ids, times) is read from
the Delta log, so it is what the table really holds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from deltalake import DeltaTable
from deltalake.exceptions import TableNotFoundError

from databricks_emulator.errors import already_exists, invalid_parameter, not_found

OWNER = "emulator@localhost"
PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
PRIMITIVES = {  # Delta type → (UC ColumnTypeName, type_text)
    "long": ("LONG", "bigint"), "integer": ("INT", "int"), "short": ("SHORT", "smallint"),
    "byte": ("BYTE", "tinyint"), "string": ("STRING", "string"), "double": ("DOUBLE", "double"),
    "float": ("FLOAT", "float"), "boolean": ("BOOLEAN", "boolean"), "binary": ("BINARY", "binary"),
    "date": ("DATE", "date"), "timestamp": ("TIMESTAMP", "timestamp"), "timestamp_ntz": ("TIMESTAMP_NTZ", "timestamp_ntz"),
}


def split_name(full_name: str, parts: int) -> list[str]:
    names = full_name.split(".")
    if len(names) != parts or not all(PART.match(name) for name in names):
        kind = {1: "catalog", 2: "catalog.schema", 3: "catalog.schema.table"}[parts]
        raise invalid_parameter(f"Name {full_name!r} must have the form {kind}.")
    return names


def _column(position: int, field: dict) -> dict:
    kind = field["type"]
    if isinstance(kind, str) and kind in PRIMITIVES:
        type_name, type_text = PRIMITIVES[kind]
    elif isinstance(kind, str) and kind.startswith("decimal"):
        type_name, type_text = "DECIMAL", kind
    else:
        type_name = kind["type"].upper() if isinstance(kind, dict) else str(kind).upper()
        type_text = json.dumps(kind)
    return {"name": field["name"], "position": position, "nullable": field.get("nullable", True),
            "type_name": type_name, "type_text": type_text, "type_json": json.dumps(field)}


class UnityCatalog:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _folder(self, *names: str) -> Path:
        return self.root.joinpath(*names)

    def create_catalog(self, name: str) -> dict:
        (catalog,) = split_name(name, 1)
        if self._folder(catalog).exists():
            raise already_exists(f"Catalog '{catalog}' already exists.")
        self._folder(catalog).mkdir(parents=True)
        return self.catalog(catalog)

    def catalog(self, name: str) -> dict:
        (catalog,) = split_name(name, 1)
        folder = self._folder(catalog)
        if not folder.is_dir():
            raise not_found(f"Catalog '{catalog}' does not exist.")
        return {"name": catalog, "full_name": catalog, "owner": OWNER, "catalog_type": "MANAGED_CATALOG",
                "storage_root": folder.as_uri(), "storage_location": folder.as_uri(),
                "created_at": int(folder.stat().st_ctime * 1000)}

    def catalogs(self) -> list[dict]:
        return [self.catalog(folder.name) for folder in sorted(self.root.iterdir()) if folder.is_dir()]

    def create_schema(self, catalog: str, name: str) -> dict:
        self.catalog(catalog)
        catalog, schema = split_name(f"{catalog}.{name}", 2)
        if self._folder(catalog, schema).exists():
            raise already_exists(f"Schema '{catalog}.{schema}' already exists.")
        self._folder(catalog, schema).mkdir()
        return self.schema(f"{catalog}.{schema}")

    def schema(self, full_name: str) -> dict:
        catalog, schema = split_name(full_name, 2)
        folder = self._folder(catalog, schema)
        if not folder.is_dir():
            raise not_found(f"Schema '{full_name}' does not exist.")
        return {"name": schema, "catalog_name": catalog, "full_name": full_name, "owner": OWNER,
                "storage_root": folder.as_uri(), "storage_location": folder.as_uri(),
                "created_at": int(folder.stat().st_ctime * 1000)}

    def schemas(self, catalog: str) -> list[dict]:
        self.catalog(catalog)
        return [self.schema(f"{catalog}.{folder.name}")
                for folder in sorted(self._folder(catalog).iterdir()) if folder.is_dir()]

    def table(self, full_name: str) -> dict:
        catalog, schema, name = split_name(full_name, 3)
        folder = self._folder(catalog, schema, name)
        try:
            table = DeltaTable(str(folder))
        except (TableNotFoundError, OSError):
            raise not_found(f"Table '{full_name}' does not exist.") from None
        fields = json.loads(table.schema().to_json())["fields"]
        metadata = table.metadata()
        history = table.history()
        return {"name": name, "catalog_name": catalog, "schema_name": schema, "full_name": full_name,
                "table_type": "MANAGED", "data_source_format": "DELTA", "owner": OWNER,
                "storage_location": folder.as_uri(), "table_id": metadata.id,
                "columns": [_column(position, field) for position, field in enumerate(fields)],
                "properties": {"delta.lastCommitVersion": str(table.version())},
                "created_at": min(entry["timestamp"] for entry in history),
                "updated_at": max(entry["timestamp"] for entry in history)}

    def tables(self, catalog: str, schema: str) -> list[dict]:
        self.schema(f"{catalog}.{schema}")
        found = []
        for folder in sorted(self._folder(catalog, schema).iterdir()):
            if (folder / "_delta_log").is_dir():
                found.append(self.table(f"{catalog}.{schema}.{folder.name}"))
        return found
