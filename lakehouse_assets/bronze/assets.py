"""Bronze assets: raw landed rows, one Delta table per source, ingested exactly once per file."""


import dagster as dg

from lakegate.lake import lineage_metadata
from lakegate.lake_resource import LakeResource
from lakegate.platform import Platform
from lakehouse_assets.bronze.conservation import check_bronze_conservation
from lakehouse_assets.bronze.ingest import ingest_sources
from lakehouse_assets.sources import SOURCES

BRONZE_ROW_CONSERVATION = "bronze_row_conservation"
OWNERS = ["team:data-platform"]


def bronze_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["bronze", source])


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            bronze_key(s.name),
            description=f"Raw {s.name} rows as landed, one row per data line, with file lineage. {s.description}",
            group_name="bronze",
            kinds={"delta", "python"},
            owners=OWNERS,
            tags={"layer": "bronze", "pii": "raw"},
        )
        for s in SOURCES.values()
    ],
    can_subset=True,
)
def bronze(context: dg.AssetExecutionContext, platform: Platform, lake: LakeResource):
    """Ingest new landed files (by path and content hash); move unreadable ones to rejected/."""
    store = lake.lake()
    sources = [SOURCES[key.path[-1]] for key in sorted(context.selected_asset_keys, key=lambda k: k.path[-1])]
    for report in ingest_sources(store, lake.catalog, sources, platform.landing_root(), platform.rejected_root()):
        name = lake.name("bronze", report.source)
        for path, reason in report.rejected_files.items():
            context.log.warning(f"rejected {path}: {reason}")
        context.log.info(f"{name}: {len(report.ingested_files)} new files, {report.rows} rows")
        yield dg.MaterializeResult(
            asset_key=bronze_key(report.source),
            metadata={
                "dagster/table_name": dg.MetadataValue.text(name),
                "path": dg.MetadataValue.path(str(store.path(name))),
                "new_files": dg.MetadataValue.int(len(report.ingested_files)),
                "rejected_files": dg.MetadataValue.int(len(report.rejected_files)),
                "dagster/row_count": dg.MetadataValue.int(report.rows),
                "files": dg.MetadataValue.json({"ingested": report.ingested_files, "rejected": report.rejected_files}),
                "seconds_parsing": dg.MetadataValue.float(round(report.seconds_parsing, 3)),
                "seconds": dg.MetadataValue.float(round(report.seconds, 3)),
                **lineage_metadata({name: store.version(name)}, {}),
            },
        )


def _conservation_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=bronze_key(source),
        name=BRONZE_ROW_CONSERVATION,
        blocking=True,
        description="Rows landed = bronze rows + rows in rejected files, recounted from the files.",
        automation_condition=dg.AutomationCondition.eager(),
    )
    def check(platform: Platform, lake: LakeResource) -> dg.AssetCheckResult:
        result = check_bronze_conservation(
            lake.lake(), lake.catalog, source, platform.landing_root(), platform.rejected_root()
        )
        return dg.AssetCheckResult(
            passed=result.holds,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "landed_rows": result.landed_rows,
                "bronze_rows": result.bronze_rows,
                "rejected_rows": result.rejected_rows,
                "rejected_files": result.rejected_files,
                "uncountable_rejected_files": dg.MetadataValue.json(result.uncountable_rejected_files),
                "mismatched_files": dg.MetadataValue.json(result.mismatched_files),
                "pending_files": len(result.pending_files),
            },
        )

    return check


bronze_checks = [_conservation_check(s) for s in SOURCES]
