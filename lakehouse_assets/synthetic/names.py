"""Small built-in name and place lists for synthetic members and providers.

A few names carry non-ASCII letters (valid UTF-8, e.g. "José", "Müller") and one has an
apostrophe, so that clean data already exercises what a real roster contains.
"""

from __future__ import annotations

from lakehouse_assets.domains.claims.sources import REGIONS

FIRST_NAMES_F: tuple[str, ...] = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Sandra", "Ashley", "Emily", "Michelle", "Amanda", "Olivia",
    "Sophia", "Emma", "Ava", "Mia", "Grace", "Chloé", "Renée", "Zoë", "María", "Aisha", "Mei",
    "Priya", "Fatima", "Hannah", "Leah", "Rosa", "Keisha",
)
FIRST_NAMES_M: tuple[str, ...] = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "Joshua",
    "Kevin", "Brian", "Noah", "Liam", "Ethan", "Lucas", "José", "François", "Björn", "Ahmed",
    "Wei", "Raj", "Omar", "Diego", "Kwame", "Samuel", "Isaac", "Tyrone",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall", "Rivera",
    "Campbell", "Mitchell", "Carter", "Roberts", "O'Brien", "Müller", "Núñez", "Kowalski",
    "Patel", "Kim", "Chen", "Okafor", "Smith-Jones", "Cohen", "Ivanova",
)
STREETS: tuple[str, ...] = (
    "Oak", "Maple", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Main", "Park",
    "Walnut", "Sunset", "Jefferson", "Lincoln", "Highland", "River", "Church", "Willow",
    "Meadow", "Forest", "Spring", "Ridge", "Franklin", "Chestnut", "Cherry", "Madison",
)
STREET_SUFFIXES: tuple[str, ...] = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl")

# Per region: (city, state, first three zip digits). East has zips with a leading zero.
CITIES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "north": (("Minneapolis", "MN", "554"), ("Chicago", "IL", "606"), ("Detroit", "MI", "482"),
              ("Milwaukee", "WI", "532")),
    "south": (("Atlanta", "GA", "303"), ("Houston", "TX", "770"), ("Miami", "FL", "331"),
              ("Nashville", "TN", "372")),
    "east": (("Boston", "MA", "021"), ("New York", "NY", "100"), ("Philadelphia", "PA", "191"),
             ("Newark", "NJ", "071")),
    "west": (("Seattle", "WA", "981"), ("Portland", "OR", "972"), ("San Diego", "CA", "921"),
             ("Phoenix", "AZ", "850")),
    "central": (("Denver", "CO", "802"), ("Kansas City", "MO", "641"), ("Omaha", "NE", "681"),
                ("Tulsa", "OK", "741")),
}
CITY_TABLE: tuple[tuple[str, str, str], ...] = tuple(c for r in REGIONS for c in CITIES[r])
CITIES_PER_REGION = 4
assert all(len(CITIES[r]) == CITIES_PER_REGION for r in REGIONS)

# How a specialty appears in a practice name, and an individual clinician's credential.
SPECIALTY_LABELS: dict[str, tuple[str, str]] = {
    "general_practice": ("Family Medicine", "MD"),
    "cardiology": ("Cardiology", "MD"),
    "orthopedics": ("Orthopedics", "MD"),
    "oncology": ("Oncology", "MD"),
    "radiology": ("Imaging", "MD"),
    "psychiatry": ("Behavioral Health", "MD"),
    "dermatology": ("Dermatology", "MD"),
    "emergency": ("Urgent Care", "DO"),
    "physical_therapy": ("Physical Therapy", "DPT"),
    "laboratory": ("Laboratory", "PhD"),
}
