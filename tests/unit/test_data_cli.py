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
