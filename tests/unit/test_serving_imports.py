"""The serving core imports no asset package: the CLI hands it the use cases' enrichers."""

import ast
from pathlib import Path

SERVING = Path(__file__).resolve().parents[2] / "lakegate" / "serving"
ASSET_PACKAGES = ("ml_assets", "lakehouse_assets", "gates")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_lakegate_serving_imports_no_asset_package():
    offenders = {p.name: sorted(m for m in imported_modules(p) if m.split(".")[0] in ASSET_PACKAGES)
                 for p in SERVING.glob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}
