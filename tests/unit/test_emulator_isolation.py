"""Product code never imports the Databricks emulator: it reaches Databricks only through the official clients."""

from pathlib import Path

from tests.unit.test_core_imports import imported_modules

REPO = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("lakegate", "gates", "ml_assets", "lakehouse_assets")


def test_no_product_module_imports_the_emulator_anywhere_in_its_code():
    modules = [path for package in PRODUCT_PACKAGES for path in sorted((REPO / package).rglob("*.py"))]
    assert len(modules) > 50  # the scan really read the product packages
    offenders = {str(path.relative_to(REPO)): sorted(name for name in imported_modules(path)
                                                     if name.split(".")[0] == "databricks_emulator")
                 for path in modules}
    assert {path: names for path, names in offenders.items() if names} == {}
