"""Diagnosis (ICD-10-CM-like) and procedure (CPT-like) code tables the generator draws from.

The tables are small and hand-made: real-looking codes, a typical allowed amount per procedure
and a review weight per procedure group. They feed both the data (which codes go with which
specialty or chronic condition) and the hidden label model (which groups are reviewed more).
"""

from __future__ import annotations

import numpy as np

from lakehouse_assets.domains.claims.sources import CHRONIC_CONDITIONS, SPECIALTIES

# (code, chronic condition it documents or None)
DIAGNOSES: tuple[tuple[str, str | None], ...] = (
    # endocrine / diabetes
    ("E11.9", "diabetes"), ("E11.65", "diabetes"), ("E11.22", "diabetes"), ("E10.9", "diabetes"),
    ("E78.5", None), ("E66.9", None),
    # circulatory
    ("I50.9", "chf"), ("I50.22", "chf"), ("I11.0", "chf"),
    ("I10", "hypertension"), ("I12.9", "hypertension"),
    ("I25.10", None), ("I48.91", None), ("R07.9", None),
    # respiratory
    ("J44.1", "copd"), ("J44.9", "copd"), ("J06.9", None), ("J02.9", None), ("R05.9", None),
    # kidney / genitourinary
    ("N18.3", "ckd"), ("N18.4", "ckd"), ("N18.6", "ckd"), ("N39.0", None),
    # neoplasms
    ("C50.911", "cancer"), ("C34.90", "cancer"), ("C61", "cancer"), ("C18.9", "cancer"),
    ("Z51.11", "cancer"), ("D50.9", None), ("D64.9", None), ("Z80.3", None), ("Z85.3", None),
    ("R59.0", None),
    # musculoskeletal / injury
    ("M54.5", None), ("M17.11", None), ("M25.561", None), ("S83.511A", None), ("S52.501A", None),
    # mental health
    ("F32.9", None), ("F41.1", None), ("F33.1", None),
    # skin
    ("L70.0", None), ("L40.0", None), ("D22.5", None),
    # symptoms, injuries, encounters
    ("R10.9", None), ("R51.9", None), ("S06.0X0A", None), ("K21.9", None), ("R03.0", None),
    ("R00.2", None), ("R73.03", None), ("Z00.00", None), ("Z00.01", None), ("Z12.31", None),
    ("Z13.1", None),
)
DX_CODES: tuple[str, ...] = tuple(c for c, _ in DIAGNOSES)
_DX = {c: i for i, c in enumerate(DX_CODES)}

# (code, typical amount in USD, group, specialty that bills it)
PROCEDURES: tuple[tuple[str, float, str, str], ...] = (
    ("99202", 110.0, "office_visit", "general_practice"),
    ("99213", 95.0, "office_visit", "general_practice"),
    ("99214", 140.0, "office_visit", "general_practice"),
    ("99215", 200.0, "office_visit", "general_practice"),
    ("99396", 180.0, "preventive", "general_practice"),
    ("99283", 250.0, "emergency", "emergency"),
    ("99284", 450.0, "emergency", "emergency"),
    ("99285", 750.0, "emergency", "emergency"),
    ("71046", 60.0, "imaging_basic", "radiology"),
    ("77067", 180.0, "imaging_basic", "radiology"),
    ("70450", 650.0, "imaging_advanced", "radiology"),
    ("72148", 1100.0, "imaging_advanced", "radiology"),
    ("74177", 900.0, "imaging_advanced", "radiology"),
    ("93000", 35.0, "cardiac_diagnostic", "cardiology"),
    ("93306", 450.0, "cardiac_diagnostic", "cardiology"),
    ("93458", 3500.0, "cardiac_interventional", "cardiology"),
    ("92928", 14000.0, "cardiac_interventional", "cardiology"),
    ("20610", 120.0, "ortho_minor", "orthopedics"),
    ("29881", 4500.0, "ortho_surgery", "orthopedics"),
    ("27447", 22000.0, "ortho_surgery", "orthopedics"),
    ("27130", 24000.0, "ortho_surgery", "orthopedics"),
    ("96365", 200.0, "oncology", "oncology"),
    ("96413", 900.0, "oncology", "oncology"),
    ("77385", 1800.0, "oncology", "oncology"),
    ("90792", 300.0, "behavioral", "psychiatry"),
    ("90834", 120.0, "behavioral", "psychiatry"),
    ("90837", 160.0, "behavioral", "psychiatry"),
    ("11102", 150.0, "dermatology", "dermatology"),
    ("17000", 90.0, "dermatology", "dermatology"),
    ("11642", 400.0, "dermatology", "dermatology"),
    ("97161", 110.0, "therapy", "physical_therapy"),
    ("97110", 45.0, "therapy", "physical_therapy"),
    ("97140", 40.0, "therapy", "physical_therapy"),
    ("80053", 25.0, "lab", "laboratory"),
    ("85025", 15.0, "lab", "laboratory"),
    ("83036", 20.0, "lab", "laboratory"),
    ("80061", 30.0, "lab", "laboratory"),
    ("90935", 300.0, "dialysis", "general_practice"),
)
PX_CODES: tuple[str, ...] = tuple(p[0] for p in PROCEDURES)
PX_TYPICAL_CENTS = np.array([round(p[1] * 100) for p in PROCEDURES], dtype=np.int64)
_PX = {c: i for i, c in enumerate(PX_CODES)}

# Hidden review weight (logit) of each procedure group: surgery, interventions, advanced imaging
# and oncology are reviewed far more often than labs and office visits.
GROUP_REVIEW_WEIGHT: dict[str, float] = {
    "office_visit": -0.4, "preventive": -0.9, "emergency": 0.2, "imaging_basic": -0.5,
    "imaging_advanced": 0.9, "cardiac_diagnostic": 0.0, "cardiac_interventional": 1.6,
    "ortho_minor": -0.2, "ortho_surgery": 1.8, "oncology": 1.1, "behavioral": 0.1,
    "dermatology": -0.3, "therapy": 0.3, "lab": -1.2, "dialysis": 0.5,
}
PX_REVIEW_WEIGHT = np.array([GROUP_REVIEW_WEIGHT[p[2]] for p in PROCEDURES], dtype=np.float64)
HIGH_COST_GROUPS = ("cardiac_interventional", "ortho_surgery", "imaging_advanced", "oncology")

# Per specialty: which procedures it bills (relative frequency) and the diagnoses it typically
# documents when the claim is not about one of the member's chronic conditions (so none of
# these is a chronic-condition code: members without the condition never get its codes).
_SPECIALTY_PX: dict[str, dict[str, float]] = {
    "general_practice": {"99213": 10, "99214": 6, "99202": 2, "99215": 1.5, "99396": 3, "90935": 0.4},
    "emergency": {"99283": 4, "99284": 5, "99285": 2},
    "radiology": {"71046": 5, "77067": 3, "70450": 1.5, "72148": 1.2, "74177": 1.2},
    "cardiology": {"93000": 6, "93306": 3, "99214": 3, "93458": 0.6, "92928": 0.3},
    "orthopedics": {"99213": 4, "20610": 4, "29881": 0.8, "27447": 0.4, "27130": 0.3},
    "oncology": {"96365": 3, "96413": 4, "77385": 2, "99214": 2},
    "psychiatry": {"90834": 6, "90837": 4, "90792": 1},
    "dermatology": {"99213": 3, "11102": 3, "17000": 3, "11642": 1},
    "physical_therapy": {"97110": 6, "97140": 4, "97161": 1},
    "laboratory": {"80053": 4, "85025": 5, "83036": 2, "80061": 3},
}
_SPECIALTY_DX: dict[str, tuple[str, ...]] = {
    "general_practice": ("Z00.00", "Z00.01", "J06.9", "J02.9", "R05.9", "E78.5", "E66.9", "K21.9",
                         "N39.0", "R51.9", "R03.0", "M54.5"),
    "emergency": ("R10.9", "R07.9", "S06.0X0A", "S52.501A", "S83.511A", "J06.9", "R51.9", "N39.0"),
    "radiology": ("Z12.31", "M54.5", "R07.9", "R10.9", "S06.0X0A", "R05.9", "M17.11"),
    "cardiology": ("I25.10", "I48.91", "R07.9", "R00.2", "E78.5"),
    "orthopedics": ("M17.11", "M25.561", "S83.511A", "S52.501A", "M54.5"),
    "oncology": ("D50.9", "D64.9", "Z80.3", "Z85.3", "R59.0"),
    "psychiatry": ("F32.9", "F41.1", "F33.1"),
    "dermatology": ("L70.0", "L40.0", "D22.5"),
    "physical_therapy": ("M54.5", "M17.11", "M25.561", "S83.511A"),
    "laboratory": ("Z00.00", "E78.5", "R73.03", "Z13.1", "Z00.01"),
}

# Arrays indexed by specialty (order of SPECIALTIES): procedure indices + cumulative weights,
# typical diagnosis indices.
SPECIALTY_PX_IDX: list[np.ndarray] = []
SPECIALTY_PX_CDF: list[np.ndarray] = []
SPECIALTY_DX_IDX: list[np.ndarray] = []
for _s in SPECIALTIES:
    _w = _SPECIALTY_PX[_s]
    SPECIALTY_PX_IDX.append(np.array([_PX[c] for c in _w], dtype=np.int16))
    _cdf = np.cumsum(np.array(list(_w.values()), dtype=np.float64))
    SPECIALTY_PX_CDF.append(_cdf / _cdf[-1])
    SPECIALTY_DX_IDX.append(np.array([_DX[c] for c in _SPECIALTY_DX[_s]], dtype=np.int16))

# Per chronic condition (order of CHRONIC_CONDITIONS): the diagnosis codes that document it.
CONDITION_DX_IDX: list[np.ndarray] = [
    np.array([i for i, (_, cond) in enumerate(DIAGNOSES) if cond == c], dtype=np.int16)
    for c in CHRONIC_CONDITIONS
]

# Values that are syntactically plausible but on no code list (dirty mode).
UNKNOWN_DIAGNOSIS = "ZZZ.99"
UNKNOWN_PROCEDURE = "ABCDE"

assert len(set(DX_CODES)) == len(DX_CODES) and len(set(PX_CODES)) == len(PX_CODES)
assert all(len(c) == 5 and c.isdigit() for c in PX_CODES)
assert all(len(ix) for ix in CONDITION_DX_IDX)
assert not any(DIAGNOSES[i][1] for ix in SPECIALTY_DX_IDX for i in ix)
