"""Tests of the `willis` Python package: the engine's bindings and the screen
on Spark (`local[2]`), checked against the `willis screen` command.

Every test gives `as_of` explicitly, so none depends on the day it runs.

The Spark comparison with the binary needs WILLIS_BIN (default
target/release/willis): it is skipped only when WILLIS_BIN and CI are both
unset; with CI set, a missing binary fails.
"""

from __future__ import annotations

import collections
import datetime
import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import willis

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BULK = HERE / "data" / "bulk"
AS_OF = "2026-07-01"

RECORD = ROOT / "examples" / "records" / "typical-low-ferritin.json"
BUNDLE = ROOT / "examples" / "fhir" / "typical-low-ferritin.bundle.json"

# The rows `willis screen` writes for tests/data/bulk on AS_OF (irlssg-2018),
# sorted by patient. Patient e has no RLS; "broken" and "not json" are
# malformed lines; notes.txt is not read from a folder.
EXPECTED = [
    {
        "patient": "a",
        "ids": ["test.vitamins", "refer.investigate-iron-deficiency", "iron.oral", "lifestyle.sleep"],
        "ferritin_ug_per_l": 22.0,
        "tsat_percent": 14.0,
        "measured_on": "2026-02-15",
        "first_step": "test.vitamins",
    },
    {
        "patient": "b",
        "ids": ["test.vitamins", "iron.not-indicated", "lifestyle.sleep", "warn.iron-overload"],
        "ferritin_ug_per_l": 120.0,
        "tsat_percent": 52.0,
        "measured_on": "2026-05-02",
        "first_step": "test.vitamins",
    },
    {
        "patient": "c",
        "ids": ["test.vitamins", "lifestyle.sleep", "warn.dopamine-agonist-risk"],
        "ferritin_ug_per_l": 160.0,
        "tsat_percent": 30.0,
        "measured_on": "2026-04-10",
        "first_step": "test.vitamins",
    },
    {
        "patient": "d",
        "ids": ["test.iron-panel", "test.vitamins", "lifestyle.sleep"],
        "ferritin_ug_per_l": None,
        "tsat_percent": None,
        "measured_on": None,
        "first_step": "test.iron-panel",
    },
    {
        "patient": "f",
        "ids": ["test.vitamins", "iron.oral", "lifestyle.sleep"],
        "ferritin_ug_per_l": 40.0,
        "tsat_percent": 18.0,
        "measured_on": "2026-06-01",
        "first_step": "test.vitamins",
    },
]


def bulk_lines():
    """(file name, line) for every line of the fixture folder's NDJSON files."""
    out = []
    for path in sorted(BULK.iterdir()):
        if not path.name.endswith(willis_spark().NDJSON_SUFFIXES):
            continue
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            out.extend((path.name, line.rstrip("\n")) for line in f)
    return out


def willis_spark():
    import willis.spark

    return willis.spark


def grouped_by_patient():
    groups = collections.defaultdict(list)
    for _name, line in bulk_lines():
        key = willis.patient_key(line)
        if key is not None:
            groups[key].append(line)
    return groups


def rows_in_plain_python(as_of=AS_OF, guideline="irlssg-2018"):
    """The screen without Spark: group by patient_key, then screen_row."""
    rows = []
    for patient, lines in grouped_by_patient().items():
        row = willis.screen_row(lines, as_of=as_of, guideline=guideline, strict=False)
        if row is not None:
            rows.append(row)
    return sorted(rows, key=lambda r: r["patient"])


def resources_of(patient):
    return grouped_by_patient()[patient]


# --- assess -----------------------------------------------------------------


def test_assess_a_record_file_gives_the_assessment_document():
    text = RECORD.read_text(encoding="utf-8")
    plan = willis.assess(text, as_of="2026-12-01")
    assert plan["format"] == "willis-assessment/1"
    assert plan["as_of"] == "2026-12-01"
    assert plan["guideline"] == "irlssg-2018"
    assert plan["iron"]["ferritin_ug_per_l"] == 45.0
    assert plan["iron"]["measured_on"] == "2026-11-01"
    # A dict is the same document, and a datetime.date the same day.
    assert willis.assess(json.loads(text), as_of=datetime.date(2026, 12, 1)) == plan


def test_assess_a_bundle_reads_the_same_facts_as_the_record_it_came_from():
    record = willis.assess(RECORD.read_text(encoding="utf-8"), as_of="2026-12-01")
    bundle = willis.assess(BUNDLE.read_text(encoding="utf-8"), as_of="2026-12-01")
    assert bundle["format"] == "willis-assessment/1"
    assert bundle["iron"] == record["iron"]
    assert [s["id"] for s in bundle["steps"]] == [s["id"] for s in record["steps"]]


def test_assess_leaves_out_a_bundles_later_facts_and_refuses_a_record_files():
    early = willis.assess(BUNDLE.read_text(encoding="utf-8"), as_of="2025-01-01")
    assert early["as_of"] == "2025-01-01"
    assert early["iron"]["ferritin_ug_per_l"] is None
    with pytest.raises(ValueError, match=r"^record_json: labs\[0\]\.date: .*after today"):
        willis.assess(RECORD.read_text(encoding="utf-8"), as_of="2025-01-01")


def test_assess_takes_the_guideline_profile():
    text = RECORD.read_text(encoding="utf-8")
    for g in willis.GUIDELINES:
        assert willis.assess(text, as_of="2026-12-01", guideline=g)["guideline"] == g


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda: willis.assess('{"format": "willis-record/1"}', as_of="2026-02-30"), "as_of"),
        (lambda: willis.assess('{"format": "willis-record/1"}', as_of=20260101), "as_of"),
        (lambda: willis.assess('{"format": "willis-record/1"}', as_of="2026-01-01", guideline="nice-2030"), "guideline"),
        (lambda: willis.assess("{not json", as_of="2026-01-01"), "record_json"),
        (lambda: willis.assess(42, as_of="2026-01-01"), "record_json"),
        (lambda: willis.assess('{"format": "willis-record/1", "labs": [{"test": 3}]}', as_of="2026-01-01"), "record_json: labs[0].test"),
        (lambda: willis.assess('{"format": "willis-record/9"}', as_of="2026-01-01"), "record_json: format"),
        (lambda: willis.assess('{"resourceType": "Bundle", "entry": 7}', as_of="2026-01-01"), "record_json: Bundle"),
        (lambda: willis.screen_row(["nope", "{}"], as_of="2026-01-01"), "resources[0]"),
        (lambda: willis.screen_row(['{"resourceType": "Patient", "id": "p"}', "nope"], as_of="2026-01-01"), "resources[1]"),
        (lambda: willis.screen_row('{"resourceType": "Patient"}', as_of="2026-01-01"), "resources"),
        (lambda: willis.screen_row([], as_of="yesterday"), "as_of"),
        (lambda: willis.screen_row([], as_of="2026-01-01", guideline="x"), "guideline"),
    ],
)
def test_bad_input_raises_value_error_naming_the_field(call, field):
    with pytest.raises(ValueError) as e:
        call()
    assert str(e.value).startswith(field + ":"), str(e.value)


def test_as_of_none_is_today_in_utc():
    plan = willis.assess('{"format": "willis-record/1"}')
    today = datetime.datetime.now(datetime.timezone.utc).date()
    assert plan["as_of"] in {today.isoformat(), (today + datetime.timedelta(days=1)).isoformat()}


# --- screen_row and patient_key ----------------------------------------------


def test_screen_row_for_a_patient_with_rls():
    row = willis.screen_row(resources_of("a"), as_of=AS_OF)
    assert row == EXPECTED[0]
    assert list(row) == list(willis.ROW_FIELDS)


def test_screen_row_is_none_without_rls():
    assert willis.screen_row(resources_of("e"), as_of=AS_OF) is None
    assert willis.screen_row([], as_of=AS_OF) is None


def test_screen_row_takes_resources_in_any_order_and_as_dicts():
    lines = resources_of("f")
    assert len(lines) >= 5
    forward = willis.screen_row(lines, as_of=AS_OF)
    assert forward == EXPECTED[4]
    assert willis.screen_row(list(reversed(lines)), as_of=AS_OF) == forward
    assert willis.screen_row([json.loads(l) for l in lines[1:] + lines[:1]], as_of=AS_OF) == forward


def test_screen_row_leaves_out_facts_after_as_of():
    lines = resources_of("a")
    assert any('"fa-later"' in l for l in lines), "the fixture has a later ferritin"
    later = willis.screen_row(lines, as_of="2027-02-01")
    assert later["ferritin_ug_per_l"] == 25.0
    assert later["measured_on"] == "2027-01-01"
    assert willis.screen_row(lines, as_of=AS_OF)["measured_on"] == "2026-02-15"


def test_screen_row_non_strict_leaves_a_malformed_resource_out():
    lines = resources_of("d") + ['{"resourceType": "Observation", "code": ']
    with pytest.raises(ValueError, match=r"^resources\[\d+\]: not a FHIR resource"):
        willis.screen_row(lines, as_of=AS_OF)
    assert willis.screen_row(lines, as_of=AS_OF, strict=False) == EXPECTED[3]


def test_screen_row_follows_the_guideline():
    c = resources_of("c")
    assert "iron.not-indicated" not in willis.screen_row(c, as_of=AS_OF)["ids"]
    assert "iron.not-indicated" in willis.screen_row(c, as_of=AS_OF, guideline="aasm-2024")["ids"]


def test_patient_key_is_the_screens_first_look():
    assert willis.patient_key('{"resourceType": "Patient", "id": "p1"}') == "p1"
    assert willis.patient_key(b'{"resourceType": "Patient", "id": "p1"}') == "p1"
    cond = '{"resourceType": "Condition", "subject": {"reference": "Patient/p2"}, "code": {"text": "RLS"}}'
    assert willis.patient_key(cond) == "p2"
    # Lines the screen does not read, or cannot.
    assert willis.patient_key('{"resourceType": "Encounter", "subject": {"reference": "Patient/p"}}') is None
    assert willis.patient_key(
        '{"resourceType": "Observation", "subject": {"reference": "Patient/p"}, "code": {"coding": [{"code": "8867-4"}]}}'
    ) is None
    assert willis.patient_key("") is None
    assert willis.patient_key("not json") is None
    assert willis.patient_key('{"resourceType": "Patient", "id": "cut"') is None
    assert willis.patient_key('{"resourceType": "Patient", "id": "a\\tb"}') is None


def test_the_plain_python_screen_of_the_fixture_gives_the_expected_rows():
    assert rows_in_plain_python() == EXPECTED


# --- Spark --------------------------------------------------------------------


def need_pyspark():
    """pyspark's SparkSession; a skip without pyspark, except in CI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        if os.environ.get("CI"):
            raise
        pytest.skip('pyspark is not installed: pip install "./crates/python[spark]"')
    return SparkSession


@pytest.fixture(scope="module")
def spark():
    SparkSession = need_pyspark()
    # The workers must run this Python, which has `willis` installed.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    session = (
        SparkSession.builder.master("local[2]")
        .appName("willis-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def collected(df):
    return sorted((r.asDict() for r in df.collect()), key=lambda r: r["patient"])


def test_input_files_expands_a_folder_to_its_ndjson_files(tmp_path):
    spark_mod = willis_spark()
    files = spark_mod.input_files([str(BULK)])
    names = [f.rsplit("/", 1)[1] for f in files]
    assert names == [
        "Condition-late.jsonl",
        "Condition.ndjson",
        "MedicationStatement.ndjson",
        "Observation-1.ndjson",
        "Observation-2.ndjson.gz",
        "Patient.ndjson",
    ]
    assert all(f.startswith("file:///") for f in files)
    assert spark_mod.input_files(["hdfs://nn/export/*.ndjson"]) == ["hdfs://nn/export/*.ndjson"]
    with pytest.raises(ValueError, match="^paths: .*no such file"):
        spark_mod.input_files([str(tmp_path / "missing")])
    with pytest.raises(ValueError, match="^paths: .*no .ndjson"):
        spark_mod.input_files([str(tmp_path)])


def test_spark_screen_has_the_six_columns_and_the_expected_rows(spark):
    spark_mod = willis_spark()
    df = spark_mod.screen(spark, [str(BULK)], as_of=AS_OF)
    assert df.columns == list(willis.ROW_FIELDS)
    types = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    assert types == {
        "patient": "string",
        "ids": "array<string>",
        "ferritin_ug_per_l": "double",
        "tsat_percent": "double",
        "measured_on": "string",
        "first_step": "string",
    }
    assert collected(df) == EXPECTED
    # The same rows as the engine called per patient in plain Python.
    assert collected(df) == rows_in_plain_python()


def test_spark_screen_follows_as_of_and_the_guideline(spark):
    spark_mod = willis_spark()
    df = spark_mod.screen(spark, str(BULK), as_of=datetime.date(2027, 2, 1), guideline="aasm-2024", partitions=3)
    assert collected(df) == rows_in_plain_python(as_of="2027-02-01", guideline="aasm-2024")
    with pytest.raises(ValueError, match="^guideline:"):
        spark_mod.screen(spark, str(BULK), as_of=AS_OF, guideline="nope")


def test_python_m_willis_spark_writes_json_lines(tmp_path):
    need_pyspark()
    out = tmp_path / "rows"
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable)
    run = subprocess.run(
        [sys.executable, "-m", "willis.spark", str(BULK), "--out", str(out), "--as-of", AS_OF, "--master", "local[2]"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert run.stdout.strip().startswith("5 patient(s) with RLS"), run.stdout
    rows = []
    for part in sorted(out.glob("part-*")):
        rows.extend(json.loads(l) for l in part.read_text(encoding="utf-8").splitlines() if l)
    assert sorted(rows, key=lambda r: r["patient"]) == EXPECTED
    # Refuses an existing folder, and a bad date, before starting Spark.
    again = subprocess.run(
        [sys.executable, "-m", "willis.spark", str(BULK), "--out", str(out), "--as-of", AS_OF],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert again.returncode == 2 and "--out" in again.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "willis.spark", str(BULK), "--out", str(tmp_path / "x"), "--as-of", "July"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert bad.returncode == 2 and "as_of" in bad.stderr


def willis_bin():
    """The `willis` binary to compare with, or a skip outside CI."""
    given = os.environ.get("WILLIS_BIN")
    in_ci = bool(os.environ.get("CI"))
    if not given and not in_ci:
        pytest.skip("set WILLIS_BIN (or CI) to compare with the willis binary")
    path = Path(given or "target/release/willis")
    if not path.is_absolute():
        path = ROOT / path
    if not path.is_file():
        pytest.fail(f"the willis binary is not at {path} (WILLIS_BIN)")
    return path


@pytest.mark.parametrize("guideline", ["irlssg-2018", "aasm-2024"])
def test_spark_screen_gives_the_same_rows_as_willis_screen(spark, tmp_path, guideline):
    binary = willis_bin()
    report = tmp_path / "report.ndjson"
    run = subprocess.run(
        [str(binary), "screen", str(BULK), "--out", str(report), "--as-of", AS_OF, "--guideline", guideline],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    cli_rows = sorted(
        (json.loads(l) for l in report.read_text(encoding="utf-8").splitlines() if l.strip()),
        key=lambda r: r["patient"],
    )
    df = willis_spark().screen(spark, [str(BULK)], as_of=AS_OF, guideline=guideline)
    assert collected(df) == cli_rows
    if guideline == "irlssg-2018":
        assert cli_rows == EXPECTED
