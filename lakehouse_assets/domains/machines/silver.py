"""The manufacturer's silver tables (machine failure): how each is conformed, what it expects, and
the columns it promises."""

from __future__ import annotations

from lakehouse_assets.contracts import ColumnContract as Col
from lakehouse_assets.domains.machines import conform, sources
from lakehouse_assets.expectations import Expectation
from lakehouse_assets.silver.table import NO_RESCUED_DATA, SilverTable, is_one_of

# A machine at a thousand degrees is a unit or sensor-bus error upstream, not a machine: stop the line.
TEMPERATURE_CIRCUIT_BREAKER = 1000
# What a running machine can read; outside it the sensor is broken and the reading is set aside.
TEMPERATURE_RANGE = (-50, 300)

UPDATED_AT = Col("updated_at", "timestamp", nullable=False, description="when the source last changed the record")
MACHINE_ID = Col("machine_id", "string", nullable=False)


def _present(column: str) -> Expectation:
    return Expectation(f"{column}_present", f"{column} IS NOT NULL AND {column} <> ''", "drop")


def _non_negative(column: str) -> Expectation:
    return Expectation(f"{column}_non_negative", f"{column} >= 0", "drop")


MACHINES = SilverTable(
    source=sources.MACHINES,
    conform=conform.conform_machines,
    expectations=(
        _present("machine_id"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("plant_known", is_one_of("plant", sources.PLANTS), "drop"),
        Expectation("model_type_known", is_one_of("model_type", sources.MODEL_TYPES), "drop"),
        Expectation("install_date_valid", "install_date IS NOT NULL AND install_date <= current_date()", "drop"),
        Expectation("rated_power_positive", "rated_power_kw > 0", "warn"),
    ),
    description="The fleet: one row per machine with its plant, line, model type, install date and rated power.",
    key=("machine_id",),
    columns=(
        MACHINE_ID,
        Col("plant", "string", nullable=False, one_of=sources.PLANTS),
        Col("line", "string"),
        Col("model_type", "string", nullable=False, one_of=sources.MODEL_TYPES),
        Col("install_date", "date", nullable=False),
        Col("rated_power_kw", "double", description="nameplate power; silver only warns when it is not positive"),
        UPDATED_AT,
    ),
)

SENSOR_READINGS = SilverTable(
    source=sources.SENSOR_READINGS,
    conform=conform.conform_sensor_readings,
    expectations=(
        _present("machine_id"),
        Expectation("read_at_valid", "read_at IS NOT NULL AND read_at <= current_timestamp()", "drop"),
        NO_RESCUED_DATA,
        Expectation("readings_numeric", "temperature_c IS NOT NULL AND vibration_mm_s IS NOT NULL AND "
                    "pressure_bar IS NOT NULL AND run_hours IS NOT NULL", "drop"),
        Expectation("temperature_plausible", f"temperature_c >= {TEMPERATURE_RANGE[0]} AND "
                    f"temperature_c < {TEMPERATURE_RANGE[1]}", "drop"),
        _non_negative("vibration_mm_s"),
        _non_negative("pressure_bar"),
        _non_negative("run_hours"),
        Expectation("plant_known", is_one_of("plant", sources.PLANTS), "warn"),
        Expectation("temperature_below_circuit_breaker",
                    f"temperature_c IS NULL OR temperature_c < {TEMPERATURE_CIRCUIT_BREAKER}", "fail"),
    ),
    description="Sensor readings, typed and deduplicated: one row per machine and reading time.",
    key=("machine_id", "read_at"),
    columns=(
        MACHINE_ID,
        Col("plant", "string", description="the plant whose historian sent the reading"),
        Col("read_at", "timestamp", nullable=False),
        Col("temperature_c", "double", nullable=False, minimum=TEMPERATURE_RANGE[0], below=TEMPERATURE_RANGE[1]),
        Col("vibration_mm_s", "double", nullable=False, minimum=0, description="vibration velocity, RMS"),
        Col("pressure_bar", "double", nullable=False, minimum=0),
        Col("run_hours", "double", nullable=False, minimum=0, description="the machine's run-hours counter"),
    ),
)

MAINTENANCE_EVENTS = SilverTable(
    source=sources.MAINTENANCE_EVENTS,
    conform=conform.conform_maintenance_events,
    expectations=(
        _present("event_id"),
        _present("machine_id"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("kind_known", is_one_of("kind", sources.MAINTENANCE_KINDS), "drop"),
        Expectation("performed_at_valid", "performed_at IS NOT NULL AND performed_at <= current_timestamp()", "drop"),
        Expectation("duration_non_negative", "duration_hours >= 0", "warn"),
    ),
    description="Maintenance work orders (preventive, corrective, inspection), technician pseudonymized.",
    key=("event_id",),
    columns=(
        Col("event_id", "string", nullable=False),
        MACHINE_ID,
        Col("kind", "string", nullable=False, one_of=sources.MAINTENANCE_KINDS),
        Col("performed_at", "timestamp", nullable=False),
        Col("duration_hours", "double"),
        Col("technician_token", "string", description="HMAC-SHA256 token of the technician's employee number"),
        UPDATED_AT,
    ),
    minimized=("technician_token",),
)

FAILURE_EVENTS = SilverTable(
    source=sources.FAILURE_EVENTS,
    conform=conform.conform_failure_events,
    expectations=(
        _present("failure_id"),
        _present("machine_id"),
        Expectation("updated_at_valid", "updated_at IS NOT NULL", "drop"),
        NO_RESCUED_DATA,
        Expectation("failed_at_valid", "failed_at IS NOT NULL AND failed_at <= current_timestamp()", "drop"),
        Expectation("reported_after_failure", "reported_at IS NOT NULL AND reported_at >= failed_at", "drop"),
        Expectation("failure_mode_known", is_one_of("failure_mode", sources.FAILURE_MODES), "warn"),
    ),
    description="Breakdowns with when they happened and when they were reported: the label's source.",
    key=("failure_id",),
    columns=(
        Col("failure_id", "string", nullable=False),
        MACHINE_ID,
        Col("failed_at", "timestamp", nullable=False),
        Col("failure_mode", "string"),
        Col("reported_at", "timestamp", nullable=False, description="when the failure became known"),
        UPDATED_AT,
    ),
)

SILVER_TABLES = (MACHINES, SENSOR_READINGS, MAINTENANCE_EVENTS, FAILURE_EVENTS)
