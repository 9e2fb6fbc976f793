"""Demo requests per use case: which landed records, sent as they landed, make the requests a
caller's system would send (the demo's canary traffic and its one scored example)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lakegate.serving.replay import landed_requests

CLAIM_REQUEST_FIELDS = ("claim_id", "member_id", "provider_id", "amount", "procedure_code", "diagnosis_code",
                        "service_date", "submission_date", "channel")


def landed_claim_requests(landing: Path, limit: int = 5000) -> list[bytes]:
    """One claim each, with the raw member id the claims system sends (the runtime pseudonymizes it)."""
    return landed_requests(landing, "claims", CLAIM_REQUEST_FIELDS, numbers=("amount",), limit=limit)


READING_REQUEST_FIELDS = ("machine_id", "plant", "temperature_c", "vibration_mm_s", "pressure_bar", "run_hours")


def landed_reading_requests(landing: Path, limit: int = 5000) -> list[bytes]:
    """One sensor reading each, as a plant's system sends its latest reading for a machine."""
    return landed_requests(landing, "sensor_readings", READING_REQUEST_FIELDS, numbers=READING_REQUEST_FIELDS[2:],
                           limit=limit)


REQUEST_SAMPLES: dict[str, Callable[..., list[bytes]]] = {"claims_triage": landed_claim_requests,
                                                          "machine_failure": landed_reading_requests}
