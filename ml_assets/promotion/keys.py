"""Asset keys of the promotion chain (gates/ wires checks onto them)."""

import dagster as dg

CANDIDATE_KEY = dg.AssetKey(["ml", "claims_triage_model"])
TEST_MODEL_KEY = dg.AssetKey(["ml", "claims_triage_test_model"])
RELEASE_CANDIDATE_KEY = dg.AssetKey(["ml", "claims_triage_release_candidate"])
PROD_MODEL_KEY = dg.AssetKey(["ml", "claims_triage_prod_model"])
