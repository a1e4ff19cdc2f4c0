"""The population screen on Apache Spark.

``screen(spark, paths, as_of, guideline)`` reads FHIR Bulk Data NDJSON (plain
or gzip) with Spark, groups the lines by patient in a shuffle, and runs the
Rust engine once per patient inside the tasks: the same first look at each
line as ``willis screen`` (:func:`willis.patient_key`), the same ``assess``,
the same rows. Only the RDD API is used: pyspark is the one extra needed
(``pip install "willis[spark]"``).

From the command line::

    python -m willis.spark PATH... --out DIR [--as-of YYYY-MM-DD]
        [--guideline irlssg-2018|aasm-2024|rlsf-2021] [--master local[2]]

writes the rows as JSON lines into the folder ``DIR`` (Spark's part files)
and prints how many there are.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
from typing import Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from . import DEFAULT_GUIDELINE, GUIDELINES, DateLike, _day, _guideline

__all__ = ["screen", "input_files", "row_schema", "main"]

#: The names a folder's NDJSON files end with (as ``willis screen`` reads).
NDJSON_SUFFIXES = (".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")


def row_schema():
    """The DataFrame's schema: the screen's row, column by column.

    ``measured_on`` is a string ``"YYYY-MM-DD"`` (or null), exactly as in
    ``willis screen``'s NDJSON; ``F.to_date("measured_on")`` makes it a date.
    """
    from pyspark.sql.types import (
        ArrayType,
        DoubleType,
        StringType,
        StructField,
        StructType,
    )

    return StructType(
        [
            StructField("patient", StringType(), nullable=False),
            StructField("ids", ArrayType(StringType(), containsNull=False), nullable=False),
            StructField("ferritin_ug_per_l", DoubleType(), nullable=True),
            StructField("tsat_percent", DoubleType(), nullable=True),
            StructField("measured_on", StringType(), nullable=True),
            StructField("first_step", StringType(), nullable=True),
        ]
    )


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def _local(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


def _manifest_outputs(path: str) -> Optional[List[str]]:
    """The files a Bulk Data ``manifest.json`` lists, or None for another file."""
    if not path.lower().endswith(".json"):
        return None
    try:
        with open(path, "rb") as f:
            value = json.loads(f.read(64 * 1024 * 1024 + 1))
    except (OSError, ValueError):
        return None
    output = value.get("output") if isinstance(value, dict) else None
    if not isinstance(output, list):
        return None
    base = os.path.dirname(os.path.abspath(path))
    files = []
    for i, item in enumerate(output):
        url = item.get("url") if isinstance(item, dict) else None
        if not isinstance(url, str):
            raise ValueError(f'paths: {path}: output[{i}] has no "url"')
        if url.startswith("file://"):
            files.append(url[len("file://") :])
        elif "://" in url:
            files.append(url)
        else:
            files.append(os.path.join(base, url))
    return files


def input_files(paths: Union[str, Sequence[str]]) -> List[str]:
    """The inputs as Spark will read them.

    A local folder stands for its ``*.ndjson``, ``*.ndjson.gz``, ``*.jsonl``
    and ``*.jsonl.gz`` files (sorted, sub-folders not entered), a local Bulk
    Data ``manifest.json`` for the files it lists; other local files are
    taken as they are. Local paths become ``file://`` URIs (they must be
    visible at the same path on every node of a cluster). Paths with a
    scheme (``hdfs://``, ``s3a://``, ``abfss://``...) or globs are handed to
    Spark unchanged. Each file once, in the order given.
    """
    if isinstance(paths, str):
        paths = [paths]
    out: List[str] = []

    def push(p: str) -> None:
        if _is_local(p):
            p = "file://" + os.path.abspath(_local(p))
        if "," in p:
            raise ValueError(f"paths: {p!r}: a path with a comma cannot be read by textFile")
        if p not in out:
            out.append(p)

    if not paths:
        raise ValueError("paths: no input; give one or more NDJSON files or folders")
    for path in paths:
        if not isinstance(path, str) or not path:
            raise ValueError(f"paths: {path!r} is not a path")
        if not _is_local(path) or any(c in path for c in "*?["):
            push(path)
            continue
        local = _local(path)
        if os.path.isdir(local):
            found = sorted(
                os.path.join(local, name)
                for name in os.listdir(local)
                if name.lower().endswith(NDJSON_SUFFIXES)
                and os.path.isfile(os.path.join(local, name))
            )
            if not found:
                raise ValueError(
                    f"paths: {path}: no .ndjson, .ndjson.gz, .jsonl or .jsonl.gz files in this folder"
                )
            for p in found:
                push(p)
        elif os.path.isfile(local):
            listed = _manifest_outputs(local)
            for p in listed if listed is not None else [local]:
                push(p)
        else:
            raise ValueError(f"paths: {path}: no such file or folder")
    return out


def _keyed(lines: Iterable[str]) -> Iterator[Tuple[str, Tuple[bool, str]]]:
    """Each line the screen reads, keyed by its patient, with the RLS hint."""
    from willis import _willis

    for line in lines:
        kind, patient, hint = _willis.scan(line)
        if kind == "keep":
            yield patient, (hint, line)


def _screen_group(day: str, guideline: str, item) -> List[tuple]:
    """Screens one patient's group of lines: the row as a tuple, or nothing."""
    from willis import _willis

    patient, values = item
    values = list(values)
    # As `willis screen`: only a patient with a Condition that may be RLS is
    # assessed; the engine decides.
    if not any(hint for hint, _ in values):
        return []
    # Sorted, so that the engine sees the same input however Spark
    # partitioned and shuffled the lines.
    lines = sorted(line for _, line in values)
    text, _malformed, _why = _willis.screen_row(lines, day, guideline, False)
    if text is None:
        return []
    row = json.loads(text)

    def number(v):
        return None if v is None else float(v)

    return [
        (
            # The key every grouped resource referenced (as `willis screen`).
            patient,
            list(row["ids"]),
            number(row["ferritin_ug_per_l"]),
            number(row["tsat_percent"]),
            row["measured_on"],
            row["first_step"],
        )
    ]


def screen(
    spark,
    paths: Union[str, Sequence[str]],
    as_of: DateLike = None,
    guideline: str = DEFAULT_GUIDELINE,
    *,
    partitions: Optional[int] = None,
):
    """The screen's rows as a DataFrame, one row per patient with RLS.

    Columns (see :func:`row_schema`): ``patient`` string, ``ids``
    array<string>, ``ferritin_ug_per_l`` and ``tsat_percent`` double,
    ``measured_on`` string ``YYYY-MM-DD``, ``first_step`` string; nulls where
    ``willis screen`` writes null. The rows are those ``willis screen`` writes
    for the same files, in no particular order.

    ``as_of`` (``None``: today in UTC, fixed once on the driver) is the day
    the plans are for; give it explicitly for results that do not depend on
    the day the job runs. ``partitions`` is the number of groups of patients
    after the shuffle (default: Spark's). The executors' Python must be
    able to ``import willis`` (see the package's README).
    """
    day = _day(as_of)
    guideline = _guideline(guideline)
    # Checked once here, so that a bad argument fails before any task runs.
    from . import _willis

    _willis.screen_row([], day, guideline, True)
    files = input_files(paths)
    sc = spark.sparkContext
    rows = (
        sc.textFile(",".join(files))
        .mapPartitions(_keyed)
        .groupByKey(numPartitions=partitions)
        .flatMap(functools.partial(_screen_group, day, guideline))
    )
    return spark.createDataFrame(rows, row_schema())


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m willis.spark",
        description=(
            "Screen FHIR Bulk Data NDJSON on Apache Spark: one JSON line per patient "
            "with RLS, as `willis screen` writes them."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="NDJSON files (plain or .gz), folders of them, manifests, or hdfs:// / s3a:// paths")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write (Spark part files of JSON lines); must not exist")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day the plans are for (default: today in UTC)")
    p.add_argument("--guideline", default=DEFAULT_GUIDELINE, choices=GUIDELINES, help=f"guideline profile (default {DEFAULT_GUIDELINE})")
    p.add_argument("--master", help="Spark master, e.g. local[2] (default: what spark-submit or the Spark configuration sets)")
    p.add_argument("--partitions", type=int, help="partitions after the shuffle by patient")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    try:
        day = _day(args.as_of)
        from . import _willis

        _willis.screen_row([], day, args.guideline, True)
        files = input_files(args.paths)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if os.path.exists(args.out) and "://" not in args.out:
        print(f"error: --out: {args.out} exists; give a new folder", file=sys.stderr)
        return 2

    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("willis-screen")
    if args.master:
        builder = builder.master(args.master)
    launched_by_spark_submit = "PYSPARK_GATEWAY_PORT" in os.environ
    if (args.master or "local").startswith("local") and not launched_by_spark_submit:
        # Local workers run this same Python, which has `willis` (Spark's
        # default is whatever `python3` is first on the PATH).
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    spark = builder.getOrCreate()
    try:
        df = screen(spark, files, day, args.guideline, partitions=args.partitions)
        df = df.persist()
        df.write.option("ignoreNullFields", "false").json(args.out)
        count = df.count()
        df.unpersist()
    finally:
        spark.stop()
    print(f"{count} patient(s) with RLS; rows in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
