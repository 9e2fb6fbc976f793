"""Members, providers, claims and claim outcomes as numpy arrays, and their CSV columns.

Everything is vectorised over a chunk and drawn from the numpy Generator it is given, so a
chunk's content depends only on (seed, chunk number). Member and provider attributes that
claims depend on are kept as compact arrays in a `Population`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lakehouse_assets.domains.claims.sources import (
    CHANNELS, CHRONIC_CONDITIONS, NETWORK_STATUSES, PLAN_TYPES, REGIONS, SEXES, SPECIALTIES,
)
from lakehouse_assets.synthetic import codes, names
from lakehouse_assets.synthetic.writer import (
    concat, fmt_cents, fmt_date, fmt_id, fmt_int, fmt_ts, pick,
)

DAY = 86_400
END = int(np.datetime64("2026-07-31", "D").astype(np.int64))  # last service date
WINDOW_START = int(np.datetime64("2025-02-01", "D").astype(np.int64))  # ~18 months of service
ENROLL_FLOOR = int(np.datetime64("2010-01-01", "D").astype(np.int64))
OUTCOMES_AS_OF = int(np.datetime64("2026-10-31", "D").astype(np.int64)) * DAY  # later = pending
REVIEW_INTERCEPT = -2.25  # tuned for a ~20% review rate

REGION_P = np.array([0.20, 0.27, 0.20, 0.20, 0.13])
CHANNEL_P = np.array([0.60, 0.28, 0.12])  # edi, portal, paper
EDI, PORTAL, PAPER = (CHANNELS.index(c) for c in ("edi", "portal", "paper"))
N_COND = len(CHRONIC_CONDITIONS)
POPCOUNT = np.array([bin(i).count("1") for i in range(1 << N_COND)], dtype=np.int8)
CHRONIC_STRINGS = tuple(
    ";".join(c for b, c in enumerate(CHRONIC_CONDITIONS) if mask >> b & 1) for mask in range(1 << N_COND)
)
_COND_BIT = {c: 1 << b for b, c in enumerate(CHRONIC_CONDITIONS)}
_FIRST = names.FIRST_NAMES_F + names.FIRST_NAMES_M
_LAST_P = 1.0 / (np.arange(len(names.LAST_NAMES)) + 6.0)
_LAST_P /= _LAST_P.sum()


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


@dataclass
class Population:
    """What claims need to know about members and providers."""

    m_region: np.ndarray  # int8
    m_chronic: np.ndarray  # uint8 bitmask over CHRONIC_CONDITIONS
    m_first_day: np.ndarray  # int32: first possible service day (window start or enrollment)
    m_cdf: np.ndarray  # float64 cumulative claim propensity
    p_region: np.ndarray
    p_specialty: np.ndarray
    p_out: np.ndarray  # bool: out of network
    p_propensity: np.ndarray  # latent review propensity (logit)
    p_channel: np.ndarray  # preferred submission channel
    p_cdf: np.ndarray  # cumulative volume, all providers
    p_region_idx: list[np.ndarray]
    p_region_cdf: list[np.ndarray]

    @property
    def n_members(self) -> int:
        return len(self.m_region)


def members_chunk(first: int, n: int, rng: np.random.Generator) -> tuple[dict[str, pa.Array], dict]:
    """Members first+1 .. first+n: their CSV columns and the attributes claims depend on."""
    sex = rng.choice(len(SEXES), n, p=[0.50, 0.485, 0.015])
    u = rng.random(n)
    age = np.where(u < 0.21, rng.integers(0, 18, n),
                   np.where(u < 0.79, 18 + (rng.beta(1.3, 1.1, n) * 47).astype(np.int64),
                            65 + np.minimum(rng.exponential(9.0, n), 30).astype(np.int64)))
    dob = END - (age * 365.25).astype(np.int64) - rng.integers(0, 365, n)

    a = age - 50.0
    draw = lambda z: rng.random(n) < _sigmoid(z)  # noqa: E731
    diab = draw(-2.0 + 0.045 * a)
    htn = draw(-0.85 + 0.05 * a + 0.8 * diab)
    chf = draw(-3.9 + 0.07 * a + 0.7 * htn)
    copd = draw(-3.2 + 0.05 * a)
    ckd = draw(-3.2 + 0.06 * a + 1.0 * diab + 0.6 * htn)
    cancer = draw(-3.4 + 0.05 * a)
    bits = np.zeros(n, dtype=np.uint8)
    for name, flag in (("diabetes", diab), ("chf", chf), ("copd", copd), ("ckd", ckd),
                       ("hypertension", htn), ("cancer", cancer)):
        bits |= (flag * _COND_BIT[name]).astype(np.uint8)

    region = rng.choice(len(REGIONS), n, p=REGION_P)
    city = region * names.CITIES_PER_REGION + rng.integers(0, names.CITIES_PER_REGION, n)
    senior = age >= 65
    plan = np.where(senior, rng.choice(4, n, p=[0.07, 0.12, 0.03, 0.78]),
                    rng.choice(4, n, p=[0.42, 0.38, 0.18, 0.02]))  # order of PLAN_TYPES
    n_f = len(names.FIRST_NAMES_F)
    first_name = np.where(sex == 0, rng.integers(0, n_f, n),
                          np.where(sex == 1, n_f + rng.integers(0, len(names.FIRST_NAMES_M), n),
                                   rng.integers(0, len(_FIRST), n)))
    last_name = rng.choice(len(names.LAST_NAMES), n, p=_LAST_P)
    ssn_area = rng.integers(1, 900, n)
    ssn_area = np.where(ssn_area == 666, 667, ssn_area)
    ssn = concat(fmt_int(ssn_area, 3), "-", fmt_int(rng.integers(1, 100, n), 2), "-",
                 fmt_int(rng.integers(1, 10_000, n), 4))
    has_apt = pa.array(rng.random(n) < 0.25)
    apt = pc.if_else(has_apt, concat(", Apt ", fmt_int(rng.integers(1, 40, n))), "")
    address = concat(fmt_int(np.minimum(rng.lognormal(6.0, 1.2, n).astype(np.int64) + 1, 99_999)), " ",
                     pick(names.STREETS, rng.integers(0, len(names.STREETS), n)), " ",
                     pick(names.STREET_SUFFIXES, rng.integers(0, len(names.STREET_SUFFIXES), n)), apt)
    lo = np.maximum(dob, ENROLL_FLOOR)
    hi = END - 30
    enroll = np.where(lo >= hi, np.minimum(dob, END), lo + (rng.random(n) * (hi - lo)).astype(np.int64))
    updated = (enroll + (rng.random(n) * (END - enroll + 1)).astype(np.int64)) * DAY + rng.integers(0, DAY, n)

    cols = {
        "member_id": fmt_id("M", np.arange(first + 1, first + n + 1), 8),
        "first_name": pick(_FIRST, first_name),
        "last_name": pick(names.LAST_NAMES, last_name),
        "ssn": ssn,
        "date_of_birth": fmt_date(dob),
        "sex": pick(SEXES, sex),
        "address": address,
        "city": pick([c[0] for c in names.CITY_TABLE], city),
        "state": pick([c[1] for c in names.CITY_TABLE], city),
        "zip": concat(pick([c[2] for c in names.CITY_TABLE], city), fmt_int(rng.integers(0, 100, n), 2)),
        "region": pick(REGIONS, region),
        "plan_type": pick(PLAN_TYPES, plan),
        "chronic_conditions": pick(CHRONIC_STRINGS, bits),
        "enrollment_date": fmt_date(enroll),
        "updated_at": fmt_ts(updated),
    }
    first_day = np.maximum(WINDOW_START, enroll)
    covered = (END - first_day + 1) / (END - WINDOW_START + 1)
    weight = ((1.0 + 0.9 * POPCOUNT[bits]) * np.where(senior, 1.4, 1.0) * np.where(age < 3, 1.3, 1.0)
              * rng.lognormal(0.0, 0.5, n) * covered)
    attrs = {"region": region.astype(np.int8), "chronic": bits,
             "first_day": first_day.astype(np.int32), "weight": weight}
    return cols, attrs


_SPEC_P = np.array([0.26, 0.07, 0.07, 0.04, 0.09, 0.08, 0.05, 0.08, 0.09, 0.17])
_SPEC_VOLUME = np.array([1.5, 1.0, 1.0, 1.0, 1.5, 1.0, 1.0, 1.2, 1.0, 3.0])


def _provider_name(rng: np.random.Generator, specialty: str, city: str) -> str:
    label, credential = names.SPECIALTY_LABELS[specialty]
    last = names.LAST_NAMES[rng.integers(len(names.LAST_NAMES))]
    kind = rng.choice(5, p=[0.45, 0.2, 0.15, 0.15, 0.05])
    if kind == 0:
        return f"{_FIRST[rng.integers(len(_FIRST))]} {last}, {credential}"
    if kind == 1:
        return f"{last} {label} Associates"
    if kind == 2:
        return f"{city} {label} Center"
    if kind == 3:
        return f"{last} & {names.LAST_NAMES[rng.integers(len(names.LAST_NAMES))]} {label}"
    return f'{last} "Open Door" {label}'


def providers(n: int, rng: np.random.Generator) -> tuple[dict[str, pa.Array], dict]:
    specialty = rng.choice(len(SPECIALTIES), n, p=_SPEC_P)
    region = rng.choice(len(REGIONS), n, p=REGION_P)
    region[: len(REGIONS)] = np.arange(len(REGIONS))  # every region has a provider
    out = rng.random(n) < 0.15
    city = region * names.CITIES_PER_REGION + rng.integers(0, names.CITIES_PER_REGION, n)
    provider_name = [_provider_name(rng, SPECIALTIES[s], names.CITY_TABLE[c][0]) for s, c in zip(specialty, city)]
    updated = rng.integers(int(np.datetime64("2024-01-01", "D").astype(np.int64)), END + 1, n) * DAY \
        + rng.integers(0, DAY, n)
    cols = {
        "provider_id": fmt_id("P", np.arange(1, n + 1), 6),
        "provider_name": pa.array(provider_name, pa.string()),
        "specialty": pick(SPECIALTIES, specialty),
        "region": pick(REGIONS, region),
        "network_status": pick(NETWORK_STATUSES, out.astype(np.int64)),
        "updated_at": fmt_ts(updated),
    }
    attrs = {"region": region.astype(np.int8), "specialty": specialty.astype(np.int8), "out": out,
             "propensity": rng.normal(0.0, 0.7, n), "channel": rng.choice(3, n, p=CHANNEL_P).astype(np.int8),
             "volume": rng.lognormal(0.0, 0.8, n) * _SPEC_VOLUME[specialty]}
    return cols, attrs


def population(member_attrs: list[dict], provider_attrs: dict) -> Population:
    m = {k: np.concatenate([a[k] for a in member_attrs]) for k in member_attrs[0]}
    p = provider_attrs
    region_idx = [np.flatnonzero(p["region"] == r) for r in range(len(REGIONS))]
    return Population(
        m_region=m["region"], m_chronic=m["chronic"], m_first_day=m["first_day"], m_cdf=np.cumsum(m["weight"]),
        p_region=p["region"], p_specialty=p["specialty"], p_out=p["out"], p_propensity=p["propensity"],
        p_channel=p["channel"], p_cdf=np.cumsum(p["volume"]), p_region_idx=region_idx,
        p_region_cdf=[np.cumsum(p["volume"][ix]) for ix in region_idx],
    )


def _draw(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u * cdf[-1], side="right"), len(cdf) - 1)


def claims_chunk(pop: Population, first: int, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Claims first+1 .. first+n with their hidden review label and outcome timing."""
    member = _draw(pop.m_cdf, rng.random(n))
    region = pop.m_region[member]
    u = rng.random(n)
    provider = _draw(pop.p_cdf, u)
    local = rng.random(n) < 0.85
    for r, (ix, cdf) in enumerate(zip(pop.p_region_idx, pop.p_region_cdf)):
        sel = local & (region == r)
        provider[sel] = ix[_draw(cdf, u[sel])]
    spec = pop.p_specialty[provider]

    proc = np.empty(n, dtype=np.int64)
    diag = np.empty(n, dtype=np.int64)
    v, w = rng.random(n), rng.random(n)
    bits = pop.m_chronic[member]
    n_chronic = POPCOUNT[bits]
    chronic_path = (n_chronic > 0) & (rng.random(n) < 0.45)
    for s in range(len(SPECIALTIES)):
        sel = spec == s
        proc[sel] = codes.SPECIALTY_PX_IDX[s][np.searchsorted(codes.SPECIALTY_PX_CDF[s], v[sel], side="right")]
        sel &= ~chronic_path
        dx = codes.SPECIALTY_DX_IDX[s]
        diag[sel] = dx[(w[sel] * len(dx)).astype(np.int64)]
    has = (bits[:, None] >> np.arange(N_COND, dtype=np.uint8)) & 1
    cond = np.argmax(rng.random((n, N_COND)) * has, axis=1)
    for c in range(N_COND):
        sel = chronic_path & (cond == c)
        dx = codes.CONDITION_DX_IDX[c]
        diag[sel] = dx[(w[sel] * len(dx)).astype(np.int64)]

    lo = pop.m_first_day[member].astype(np.int64)
    service = lo + (rng.random(n) * (END - lo + 1)).astype(np.int64)
    dow = (service + 3) % 7  # Monday = 0
    weekend_shift = (dow >= 5) & (spec != SPECIALTIES.index("emergency")) & (rng.random(n) < 0.75)
    moved = service - (dow - 4) - rng.integers(0, 5, n)  # a weekday of the same week
    service = np.maximum(np.where(weekend_shift, moved, service), lo)

    channel = np.where(rng.random(n) < 0.7, pop.p_channel[provider], rng.choice(3, n, p=CHANNEL_P))
    delay = np.select([channel == EDI, channel == PORTAL],
                      [rng.gamma(1.3, 2.5, n), rng.gamma(2.0, 4.0, n)], rng.gamma(3.0, 7.0, n))
    delay = np.where(rng.random(n) < 0.03, rng.uniform(30, 91, n), delay)
    delay = np.clip(delay, 0, 90).astype(np.int64)
    submission = service + delay

    typical = codes.PX_TYPICAL_CENTS[proc]
    upcode = np.where(rng.random(n) < 0.06, rng.uniform(1.5, 4.0, n), 1.0)
    cents = np.maximum(np.rint(typical * rng.lognormal(0.0, 0.35, n) * upcode), 100).astype(np.int64)
    ratio = np.log(cents / typical)
    t_of_day = np.where(channel == EDI, rng.integers(0, 6 * 3600, n), rng.integers(7 * 3600, 20 * 3600, n))

    z = (REVIEW_INTERCEPT + 1.4 * np.maximum(ratio, 0) + 0.3 * np.minimum(ratio, 0)
         + codes.PX_REVIEW_WEIGHT[proc] + 0.8 * pop.p_out[provider] + 0.3 * n_chronic
         + 0.9 * (delay > 45) + 0.4 * ((delay > 20) & (delay <= 45)) + 0.6 * (channel == PAPER)
         + pop.p_propensity[provider] + rng.normal(0.0, 0.5, n))
    review = rng.random(n) < _sigmoid(z)
    decided_days = np.where(review, rng.integers(5, 31, n), rng.integers(1, 8, n))
    decided = (submission + decided_days) * DAY + rng.integers(8 * 3600, 18 * 3600, n)
    decided_outcome = (decided <= OUTCOMES_AS_OF) & (rng.random(n) >= 0.04)
    return {
        "claim_no": np.arange(first + 1, first + n + 1), "member": member, "provider": provider,
        "service": service, "submission": submission, "diag": diag, "proc": proc, "cents": cents,
        "channel": channel, "updated": submission * DAY + t_of_day, "review": review,
        "decided": decided, "outcome_updated": decided + rng.integers(0, 4 * 3600, n),
        "has_outcome": decided_outcome,
    }


def claim_columns(c: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    return {
        "claim_id": fmt_id("C", c["claim_no"], 9),
        "member_id": fmt_id("M", c["member"] + 1, 8),
        "provider_id": fmt_id("P", c["provider"] + 1, 6),
        "service_date": fmt_date(c["service"]),
        "submission_date": fmt_date(c["submission"]),
        "diagnosis_code": pick(codes.DX_CODES, c["diag"]),
        "procedure_code": pick(codes.PX_CODES, c["proc"]),
        "amount": fmt_cents(c["cents"]),
        "channel": pick(CHANNELS, c["channel"]),
        "updated_at": fmt_ts(c["updated"]),
    }


def outcome_columns(c: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    keep = np.flatnonzero(c["has_outcome"])
    return {
        "claim_id": fmt_id("C", c["claim_no"][keep], 9),
        "needs_review": fmt_int(c["review"][keep].astype(np.int64)),
        "decided_at": fmt_ts(c["decided"][keep]),
        "updated_at": fmt_ts(c["outcome_updated"][keep]),
    }
