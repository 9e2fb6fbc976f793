"""Which observations of a watched key (an asset check, a sensor's liveness) become notices.

A key is ok, open (its failure was notified and not yet resolved) or held (it failed inside its
cooldown, so the failure waits). Only transitions notify: a failure of an ok key fires (a first-seen
failure included), a pass of an open key resolves; failing again while open is the same alert
(dedup). A key whose last alert fired less than its cooldown ago is held instead; a held key fires
at the first tick after the cooldown if it still fails, and a pass while held notifies nothing,
because nothing was announced.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace

OK, OPEN, HELD = "ok", "open", "held"
FIRING, RESOLVED = "firing", "resolved"


@dataclass(frozen=True)
class Observation:
    key: str  # "silver/claims:row_count" (an asset check) or "sensor:landing_files_sensor"
    passed: bool
    severity: str  # WARN or ERROR
    at: float  # epoch seconds
    ref: str  # what identifies this observation (a check execution's id): keeps alert ids stable
    text: str  # what a person reads
    run_id: str | None = None


@dataclass(frozen=True)
class Notice:
    kind: str  # FIRING or RESOLVED
    key: str
    severity: str
    at: float
    ref: str
    text: str
    run_id: str | None = None

    @property
    def alert_id(self) -> str:
        """The same notice always gets the same id, so recording it twice stores it once."""
        return hashlib.sha256(f"{self.kind}|{self.key}|{self.ref}".encode()).hexdigest()[:24]

    @property
    def title(self) -> str:
        return f"{self.key} {'failing' if self.kind == FIRING else 'resolved'}"


@dataclass(frozen=True)
class KeyState:
    status: str = OK
    passed: bool | None = None  # the last outcome seen
    fired_at: float | None = None  # when its last alert fired
    failure: Observation | None = None  # the failure that is open or held

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict) -> "KeyState":
        failure = raw.get("failure")
        return cls(status=raw["status"], passed=raw.get("passed"), fired_at=raw.get("fired_at"),
                   failure=Observation(**failure) if failure else None)


def observe(state: KeyState, obs: Observation, cooldown: float) -> tuple[KeyState, Notice | None]:
    """The key's state after `obs`, and the notice it gives (None: nothing to say)."""
    if obs.passed:
        if state.status == OPEN:
            failure = state.failure
            return (KeyState(OK, True, state.fired_at),
                    Notice(RESOLVED, obs.key, failure.severity, obs.at, obs.ref, obs.text, obs.run_id))
        return KeyState(OK, True, state.fired_at), None
    if state.status != OK:
        return replace(state, passed=False), None  # the same failure: one open (or held) alert
    if _cooling(state, obs.at, cooldown):
        return KeyState(HELD, False, state.fired_at, obs), None
    return KeyState(OPEN, False, obs.at, obs), _fire(obs)


def release(state: KeyState, now: float, cooldown: float) -> tuple[KeyState, Notice | None]:
    """A held failure fires once its cooldown is over."""
    if state.status != HELD or _cooling(state, now, cooldown):
        return state, None
    return KeyState(OPEN, False, now, state.failure), _fire(state.failure)


def _cooling(state: KeyState, now: float, cooldown: float) -> bool:
    return state.fired_at is not None and now - state.fired_at < cooldown


def _fire(obs: Observation) -> Notice:
    return Notice(FIRING, obs.key, obs.severity, obs.at, obs.ref, obs.text, obs.run_id)
