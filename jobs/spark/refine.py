"""Runs cinelake's refine SQL (sql/*.sql) on Apache Spark: Raw -> Trusted -> Refined.

The same SQL files run embedded in `cinelake refine` on DataFusion; this driver is the Spark
half of that contract (docs/spark.md). It reads the two raw files as whole lines, registers them
as the views `raw_movies(line)` and `raw_series(line)`, runs each SQL file in name order and
registers its result as the view the file names, caches what the file marks `@cache`, writes what
it marks `@output` as Parquet under --out, and writes the per-stage row counts (the
`@counts` file) and the Spark version as one JSON line to --out/counts/part-*.txt.

TMDB records (`cinelake enrich`'s Raw/TMDB/JSON/YYYY/MM/DD/tmdb-NNNNN.json files, JSON arrays)
are read from --tmdb (the Raw/TMDB/JSON folder, every day below it) into the view
`tmdb_records` (crates/refine/src/tmdb.rs documents its columns); without --tmdb the view is
empty and the refined titles' TMDB columns are NULL.

Directives are comment lines at the top of a SQL file:
  -- @view NAME     the result is registered as view NAME (required)
  -- @cache         keep the result in memory: later stages read it more than once
  -- @output NAME   write the result as Parquet to OUT/NAME/
  -- @counts        collect the (stage, kind, row_count) rows into OUT/counts/

`cinelake refine --engine spark` stages the raw files locally, runs this with spark-submit and
uploads the outputs to the lake itself. On a cluster (EMR, Glue) pass s3:// paths directly:

  spark-submit refine.py --movies s3://lake/Raw/Local/CSV/Movies/2024/07/10/movies.csv \
      --series s3://lake/Raw/Local/CSV/Series/2024/07/10/series.csv \
      --sql-dir s3://code/sql --out s3://lake/Refined/spark-runs/RUN [--extract-csv] \
      [--tmdb s3://lake/Raw/TMDB/JSON]
"""

import argparse
import json
import re
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

DIRECTIVE = re.compile(r"^--\s*@(\w+)\s*(\S*)\s*$")


def parse_stage(name, text):
    """The directives of one SQL file, as a dict: view, cache, output, counts."""
    stage = {"file": name, "sql": text, "view": None, "cache": False, "output": None, "counts": False}
    for line in text.splitlines():
        match = DIRECTIVE.match(line.strip())
        if not match:
            continue
        key, value = match.group(1), match.group(2)
        if key == "view":
            stage["view"] = value
        elif key == "cache":
            stage["cache"] = True
        elif key == "output":
            stage["output"] = value
        elif key == "counts":
            stage["counts"] = True
        else:
            raise SystemExit(f"{name}: unknown directive @{key}")
    if not stage["view"]:
        raise SystemExit(f"{name}: missing the -- @view NAME directive")
    return stage


def read_sql_dir(spark, sql_dir):
    """The SQL files of sql_dir in name order, read through Spark so that s3:// works too."""
    rows = spark.sparkContext.wholeTextFiles(sql_dir.rstrip("/") + "/*.sql").collect()
    rows.sort(key=lambda row: row[0].rsplit("/", 1)[-1])
    return [parse_stage(path.rsplit("/", 1)[-1], text) for path, text in rows]


def read_lines(spark, path):
    """One row per line after the header, the whole line as `line`.

    CSV with a delimiter and quote that never occur is how to skip exactly one header line and get
    the same lines as DataFusion's reader: quote "" turns quoting off, line ends are LF or CRLF.
    """
    schema = StructType([StructField("line", StringType(), True)])
    return (
        spark.read.option("header", True)
        .option("sep", "\u001f")
        .option("quote", "")
        .option("escape", "")
        .option("comment", "")
        .option("enforceSchema", True)
        .option("ignoreLeadingWhiteSpace", False)
        .option("ignoreTrailingWhiteSpace", False)
        .option("encoding", "UTF-8")
        .option("mode", "PERMISSIVE")
        .schema(schema)
        .csv(path)
    )


# The part of a stored TMDB record refine reads; Spark ignores every other field, and a field of
# the wrong JSON type becomes NULL (the DataFusion side does the same).
TMDB_RECORD = StructType(
    [
        StructField("imdb_id", StringType(), True),
        StructField("status", StringType(), True),
        StructField("fetched_at", StringType(), True),
        StructField(
            "details",
            StructType(
                [
                    StructField("budget", LongType(), True),
                    StructField("revenue", LongType(), True),
                    StructField("popularity", DoubleType(), True),
                    StructField("vote_average", DoubleType(), True),
                    StructField("vote_count", LongType(), True),
                    StructField(
                        "production_countries",
                        ArrayType(StructType([StructField("iso_3166_1", StringType(), True)])),
                        True,
                    ),
                ]
            ),
            True,
        ),
    ]
)

# The `tmdb_records` view's columns, in order.
TMDB_RECORDS = StructType(
    [
        StructField("source_key", StringType(), False),
        StructField("imdb_id", StringType(), True),
        StructField("status", StringType(), True),
        StructField("fetched_at", StringType(), True),
        StructField("budget", LongType(), True),
        StructField("revenue", LongType(), True),
        StructField("popularity", DoubleType(), True),
        StructField("vote_average", DoubleType(), True),
        StructField("vote_count", LongType(), True),
        StructField("production_countries", ArrayType(StringType(), True), True),
    ]
)


def read_tmdb(spark, path):
    """The tmdb_records view: one row per record of every tmdb-*.json file under path."""
    if not path:
        return spark.createDataFrame([], TMDB_RECORDS)
    records = (
        spark.read.schema(TMDB_RECORD)
        # Each file is one JSON array: multiLine reads it whole, one row per element.
        .option("multiLine", True)
        .option("mode", "PERMISSIVE")
        .option("recursiveFileLookup", True)
        .option("pathGlobFilter", "tmdb-*.json")
        .json(path)
    )
    return records.select(
        # The lake key, as the DataFusion side names a file: the path from Raw/TMDB/JSON on.
        F.regexp_extract(F.col("_metadata.file_path"), r"(Raw/TMDB/JSON/.*)$", 1).alias(
            "source_key"
        ),
        "imdb_id",
        "status",
        "fetched_at",
        F.col("details.budget").alias("budget"),
        F.col("details.revenue").alias("revenue"),
        F.col("details.popularity").alias("popularity"),
        F.col("details.vote_average").alias("vote_average"),
        F.col("details.vote_count").alias("vote_count"),
        F.col("details.production_countries.iso_3166_1").alias("production_countries"),
    )


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", required=True, help="raw movies.csv (path or s3:// URL)")
    parser.add_argument("--series", required=True, help="raw series.csv (path or s3:// URL)")
    parser.add_argument("--sql-dir", required=True, help="folder holding the NN_name.sql files")
    parser.add_argument("--out", required=True, help="output folder: one subfolder per @output")
    parser.add_argument(
        "--tmdb",
        help="the Raw/TMDB/JSON folder of cinelake enrich's files (path or s3:// URL); optional",
    )
    parser.add_argument(
        "--extract-csv",
        action="store_true",
        help="also write the extract as one RFC 4180 CSV file under OUT/extract-csv/",
    )
    # parse_known_args: AWS Glue adds its own arguments (--JOB_NAME, --job-bookmark-option, ...).
    args, ignored = parser.parse_known_args(argv)
    if ignored:
        print(f"refine.py: ignoring arguments {ignored}", file=sys.stderr)

    spark = (
        SparkSession.builder.appName("cinelake-refine")
        # The SQL files are written for engines that keep backslashes in literals ('\N').
        .config("spark.sql.parser.escapedStringLiterals", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    # ERROR, not WARN: reading the raw files as one column warns that the header does not
    # match the schema, which is intended.
    spark.sparkContext.setLogLevel("ERROR")

    read_lines(spark, args.movies).createOrReplaceTempView("raw_movies")
    read_lines(spark, args.series).createOrReplaceTempView("raw_series")
    read_tmdb(spark, args.tmdb).createOrReplaceTempView("tmdb_records")

    out = args.out.rstrip("/")
    counts = []
    frames = {}
    for stage in read_sql_dir(spark, args.sql_dir):
        frame = spark.sql(stage["sql"])
        if stage["cache"]:
            frame = frame.cache()
        frame.createOrReplaceTempView(stage["view"])
        frames[stage["view"]] = frame
        if stage["output"]:
            frame.write.mode("overwrite").parquet(f"{out}/{stage['output']}")
        if stage["counts"]:
            counts = [
                {"stage": row["stage"], "kind": row["kind"], "rows": int(row["row_count"])}
                for row in frame.collect()
            ]

    if args.extract_csv and "extract" in frames:
        # RFC 4180: quote only when needed, double a quote inside a field, empty field = null.
        (
            frames["extract"]
            .coalesce(1)
            .write.mode("overwrite")
            .option("header", True)
            .option("quote", '"')
            .option("escape", '"')
            .option("nullValue", "")
            .option("emptyValue", '""')
            .csv(f"{out}/extract-csv")
        )

    summary = json.dumps({"spark_version": spark.version, "counts": counts})
    spark.createDataFrame([(summary,)], ["value"]).coalesce(1).write.mode("overwrite").text(
        f"{out}/counts"
    )
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
