"""Bronze parsing: every data line becomes one row; what does not fit is rescued, never dropped."""

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lakehouse_assets.bronze.parse import UnreadableFile, count_landed_rows, count_lines, data_lines, parse_file
from lakehouse_assets.domains.claims.sources import PROVIDERS

HEADER = ",".join(PROVIDERS.columns)


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def rows(parsed):
    return parsed.rows.to_pylist()


def test_clean_file_keeps_raw_strings(tmp_path):
    path = write(tmp_path, "p.csv", f"{HEADER}\nP1,\"Smith, Jones & Co\",cardiology,north,in,2025-01-01 00:00:00\n".encode())
    parsed = parse_file(path, PROVIDERS)
    [row] = rows(parsed)
    assert row["provider_name"] == "Smith, Jones & Co"
    assert row["_rescued_data"] is None and row["_row_number"] == 2
    assert parsed.landed_rows == 1 == count_landed_rows(path)


def test_wrong_column_count_is_rescued_whole(tmp_path):
    body = f"{HEADER}\nP1,A,cardiology,north,in,2025-01-01,surplus\nP2,B\n".encode()
    parsed = parse_file(write(tmp_path, "p.csv", body), PROVIDERS)
    extra, short = rows(parsed)
    assert json.loads(extra["_rescued_data"]) == {
        "_corrupt_record": "P1,A,cardiology,north,in,2025-01-01,surplus",
        "_error": "expected 6 fields, got 7",
    }
    assert short["provider_id"] == "P2" and short["specialty"] is None
    assert "got 2" in json.loads(short["_rescued_data"])["_error"]


def test_invalid_utf8_line_is_kept_as_corrupt_record(tmp_path):
    body = f"{HEADER}\n".encode() + b"P1,Caf\xe9,cardiology,north,in,2025-01-01\nP2,B,oncology,south,out,2025-01-01\n"
    parsed = parse_file(write(tmp_path, "p.csv", body), PROVIDERS)
    bad, good = rows(parsed)
    assert json.loads(bad["_rescued_data"]) == {"_corrupt_record": "P1,Caf\\xe9,cardiology,north,in,2025-01-01", "_error": "invalid UTF-8"}
    assert good["provider_id"] == "P2" and good["_rescued_data"] is None


def test_unmatched_quote_does_not_swallow_the_next_line(tmp_path):
    body = f'{HEADER}\nP1,"open quote,cardiology,north,in,2025-01-01\nP2,B,oncology,south,out,2025-01-01\n'.encode()
    parsed = parse_file(write(tmp_path, "p.csv", body), PROVIDERS)
    assert [r["_row_number"] for r in rows(parsed)] == [2, 3]
    assert rows(parsed)[1]["provider_id"] == "P2"


def test_extra_header_column_goes_to_rescued_data(tmp_path):
    body = f"{HEADER},fax\nP1,A,cardiology,north,in,2025-01-01,555-0100\n".encode()
    [row] = rows(parse_file(write(tmp_path, "p.csv", body), PROVIDERS))
    assert json.loads(row["_rescued_data"]) == {"fax": "555-0100"}


def test_truncated_file_keeps_its_cut_line(tmp_path):
    body = f"{HEADER}\nP1,A,cardiology,north,in,2025-01-01\nP2,B,onco".encode()
    parsed = parse_file(write(tmp_path, "p.csv", body), PROVIDERS)
    assert parsed.landed_rows == 2 and rows(parsed)[1]["_rescued_data"] is not None


def test_header_only_file_has_no_rows(tmp_path):
    parsed = parse_file(write(tmp_path, "p.csv", f"{HEADER}\n".encode()), PROVIDERS)
    assert parsed.rows.num_rows == 0


def test_gzip_is_read(tmp_path):
    body = gzip.compress(f"{HEADER}\nP1,A,cardiology,north,in,2025-01-01\n".encode())
    assert parse_file(write(tmp_path, "p.csv.gz", body), PROVIDERS).rows.num_rows == 1


@pytest.mark.parametrize(
    "name,content,reason",
    [
        ("empty.csv", b"", "empty file"),
        ("broken.csv.gz", b"\x1f\x8b\x08\x00garbage", "cannot decompress"),
        ("other.csv", b"a,b,c\n1,2,3\n", "names none of the expected"),
    ],
)
def test_unreadable_files_raise_with_a_reason(tmp_path, name, content, reason):
    with pytest.raises(UnreadableFile, match=reason):
        parse_file(write(tmp_path, name, content), PROVIDERS)


def test_the_vectorised_reader_gives_what_line_by_line_parsing_gives(tmp_path):
    """Every kind of odd line among plain ones: each row equals the csv module's reading of its line."""
    from lakehouse_assets.bronze.parse import _parse_line_by_line

    good = b"P1,A,cardiology,north,in,2025-01-01"
    odd = [
        b'P2,"Smith, Jones",oncology,south,out,2025-01-01\r',  # quoted comma, CRLF
        b"P3,Caf\xe9,cardiology,north,in,2025-01-01",  # invalid UTF-8
        "P4,Café,cardiology,north,in,2025-01-01".encode(),  # valid non-ASCII
        b'P5,a"b,c,north,in,2025-01-01',  # a quote inside a field
        b"P6,A\rB,cardiology,north,in,2025-01-01",  # a bare carriage return
        b"\r\r",  # blank: no row
        b"",  # blank: no row
        b"P7,N/A,,north,in,NULL",  # null-looking strings stay raw; empty is None
        b"P8,too,few",
        b'P9,"open,cardiology,north,in,2025-01-01',
        b'P10,"A ""quoted"" name",cardiology,north,in,2025-01-01',
        good,
    ]
    body = f"{HEADER}\n".encode() + b"\n".join([good, *odd, good])
    parsed = parse_file(write(tmp_path, "p.csv", body), PROVIDERS)
    lines = [line.rstrip(b"\r") for line in body.split(b"\n")[1:] if line.strip(b"\r")]
    assert parsed.rows.equals(_parse_line_by_line(lines, HEADER.split(","), PROVIDERS))
    assert parsed.landed_rows == len(lines) == count_landed_rows(tmp_path / "p.csv") == 12
    by_id = {r["provider_id"]: r for r in rows(parsed)}
    assert by_id["P7"]["provider_name"] == "N/A" and by_id["P7"]["specialty"] is None
    assert by_id["P10"]["provider_name"] == 'A "quoted" name'


@given(st.lists(st.sampled_from([b"a", b",", b"\n", b"\r", b"\r\n", b'"', b"\n\n"]), max_size=40).map(b"".join))
def test_the_newline_count_agrees_with_the_line_list_for_any_bytes(content):
    """count_lines' shortcut (newlines counted when no line can be blank) is the same count as the
    list of data lines it stands for, blank and cut-off lines included."""
    assert count_lines(content) == len(data_lines(content))
