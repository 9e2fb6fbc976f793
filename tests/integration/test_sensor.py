"""The landing sensor asks for bronze runs of exactly the sources whose folders changed."""

import dagster as dg
import pytest

from lakegate.platform import Platform
from lakehouse_assets.sensors import landing_files_sensor
from tests.integration.landing import claim, land, member

pytestmark = pytest.mark.integration


def evaluate(home, cursor=None):
    context = dg.build_sensor_context(cursor=cursor, resources={"platform": Platform(home=str(home))})
    return landing_files_sensor(context), context.cursor


def test_no_files_means_skip(home):
    result, _ = evaluate(home)
    assert isinstance(result, dg.SkipReason)


def test_new_files_request_their_sources_only_once(home):
    land(home, "claims", "a.csv", [claim("C1")])
    request, cursor = evaluate(home)
    assert isinstance(request, dg.RunRequest)
    assert request.asset_selection == [dg.AssetKey(["bronze", "claims"])]
    again, cursor = evaluate(home, cursor)
    assert isinstance(again, dg.SkipReason)
    land(home, "members", "m.csv", [member()])
    later, _ = evaluate(home, cursor)
    assert later.asset_selection == [dg.AssetKey(["bronze", "members"])]
    assert later.run_key != request.run_key
