"""`lakegate data generate` for either use case, or both: claims stays the default."""

from tests.cli import invoke_cli


def test_default_is_the_insurers_data(tmp_path, capsys, monkeypatch):
    code, out, _ = invoke_cli(capsys, monkeypatch, "data", "generate", "--out", str(tmp_path), "--members", "20", "--claims", "40")
    assert code == 0 and {p.name for p in tmp_path.iterdir()} == {"members", "providers", "claims", "claim_outcomes"}
    assert "claims" in out and "sensor_readings" not in out


def test_machine_failure_and_all(tmp_path, capsys, monkeypatch):
    code, out, _ = invoke_cli(capsys, monkeypatch, "data", "generate", "--out", str(tmp_path / "m"),
                              "--use-case", "machine_failure", "--machines", "4", "--days", "14", "--end", "2026-11-30")
    assert code == 0 and {p.name for p in (tmp_path / "m").iterdir()} == {
        "machines", "sensor_readings", "maintenance_events", "failure_events"}
    last = (tmp_path / "m" / "sensor_readings" / "sensor_readings_00002.csv").read_text().splitlines()[-1]
    assert "2026-11-30 " in last
    code, _, _ = invoke_cli(capsys, monkeypatch, "data", "generate", "--out", str(tmp_path / "b"), "--use-case", "all",
                            "--members", "10", "--claims", "20", "--machines", "3", "--days", "7")
    assert code == 0 and len(list((tmp_path / "b").iterdir())) == 8


def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    for args, message in ((("--use-case", "trucks"), "--use-case must be one of claims_triage, machine_failure or all"),
                          (("--use-case", "all", "--end", "2026-13-01"), "--end '2026-13-01' is not a date"),
                          (("--use-case", "machine_failure", "--days", "3"), "--days at least 7")):
        code, _, err = invoke_cli(capsys, monkeypatch, "data", "generate", "--out", str(tmp_path / "x"), *args)
        assert code != 0 and message in err, err
    assert not (tmp_path / "x").exists()


def test_every_use_case_declares_its_synthetic_data_and_only_use_cases_do():
    from lakehouse_assets.synthetic_data import DEFAULT_USE_CASE, SYNTHETIC_DATA
    from ml_assets.usecases import USE_CASES

    assert sorted(data.use_case for data in SYNTHETIC_DATA) == sorted(USE_CASES)
    assert DEFAULT_USE_CASE in USE_CASES


def test_a_size_below_its_minimum_names_every_size_of_its_use_case():
    from lakehouse_assets.synthetic_data import SYNTHETIC_DATA

    machines = next(data for data in SYNTHETIC_DATA if data.use_case == "machine_failure")
    assert machines.too_small({"machines": 3, "days": 7}) is None
    assert machines.too_small({"machines": 0, "days": 7}) == "--machines must be at least 1 and --days at least 7"


def test_all_refuses_a_bad_size_of_any_use_case_before_writing_any(tmp_path, capsys, monkeypatch):
    code, _, err = invoke_cli(capsys, monkeypatch, "data", "generate", "--out", str(tmp_path / "x"), "--use-case", "all",
                              "--members", "10", "--claims", "20", "--days", "3")
    assert code == 2 and "--days at least 7" in err, err
    assert not (tmp_path / "x").exists()
