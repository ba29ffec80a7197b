"""The refine job (sql/*.sql's semantics) in Polars, for bench/refine/run.sh.

Usage: polars_job.py MOVIES SERIES OUT_DIR
"""

import sys

import polars as pl

movies, series, out = sys.argv[1:4]
NULL = "\\N"


def read(path, kind):
    frame = pl.scan_csv(path, separator="|", quote_char=None, infer_schema=False, has_header=True)
    if kind == "movie":
        frame = frame.with_columns(pl.lit(NULL).alias("anoTermino"))
    return frame.with_columns(pl.lit(kind).alias("kind"))


def opt(c):
    return pl.when(pl.col(c) == NULL).then(None).otherwise(pl.col(c))


def num(c, dtype):
    return opt(c).cast(dtype, strict=False)


def bad_year(c, lo, hi):
    v = num(c, pl.Int64)
    return (pl.col(c) != NULL) & (v.is_null() | (v < lo) | (v > hi))


raw = pl.concat([read(movies, "movie"), read(series, "series")], how="diagonal")
reason = (
    pl.when(~pl.col("id").str.contains(r"^tt[0-9]+$")).then(pl.lit("id"))
    .when(pl.col("tituloPincipal").is_in(["", NULL]) | pl.col("tituloPincipal").is_null()).then(pl.lit("tituloPincipal"))
    .when(bad_year("anoLancamento", 1850, 2100)).then(pl.lit("anoLancamento"))
    .when(bad_year("anoTermino", 1850, 2100)).then(pl.lit("anoTermino"))
    .when((pl.col("tempoMinutos") != NULL) & ~pl.col("tempoMinutos").str.contains(r"^[0-9]+$")).then(pl.lit("tempoMinutos"))
    .when((pl.col("genero") != NULL) & ~pl.col("genero").str.contains(r"^[^,;]+(,[^,;]+){0,2}$")).then(pl.lit("genero"))
    .when((pl.col("notaMedia") != NULL) & ~pl.col("notaMedia").str.contains(r"^([1-9]([.][0-9])?|10([.]0)?)$")).then(pl.lit("notaMedia"))
    .when((pl.col("numeroVotos") != NULL) & ~pl.col("numeroVotos").str.contains(r"^[0-9]+$")).then(pl.lit("numeroVotos"))
    .when(bad_year("anoNascimento", 1, 2100)).then(pl.lit("anoNascimento"))
    .when(bad_year("anoFalecimento", 1, 2100)).then(pl.lit("anoFalecimento"))
    .otherwise(None)
)
rows = raw.select(
    pl.col("kind"), pl.col("id"), pl.col("tituloPincipal").alias("title"), opt("tituloOriginal").alias("original_title"),
    num("anoLancamento", pl.Int32).alias("year"), num("anoTermino", pl.Int32).alias("end_year"),
    num("tempoMinutos", pl.Int64).alias("runtime_minutes"), opt("genero").alias("genres"),
    num("notaMedia", pl.Decimal(3, 1)).alias("rating"), num("numeroVotos", pl.Int64).alias("votes"),
    opt("generoArtista").alias("artist_gender"), opt("personagem").alias("character_name"),
    opt("nomeArtista").alias("artist_name"), num("anoNascimento", pl.Int32).alias("birth_year"),
    num("anoFalecimento", pl.Int32).alias("death_year"), opt("profissao").alias("professions"),
    opt("titulosMaisConhecidos").alias("known_for"), reason.alias("reject_reason"),
).collect()
trusted = rows.filter(pl.col("reject_reason").is_null()).drop("reject_reason")
trusted.write_parquet(f"{out}/trusted.parquet", compression="snappy")
rows.filter(pl.col("reject_reason").is_not_null()).select("kind", "reject_reason").write_parquet(f"{out}/rejects.parquet")
title_cols = ["kind", "id", "title", "original_title", "year", "end_year", "runtime_minutes", "genres", "rating", "votes"]
padded = pl.lit(",") + pl.col("genres") + pl.lit(",")
refined = (
    trusted.select(title_cols)
    .filter(padded.str.contains(",Comedy,", literal=True) | padded.str.contains(",Animation,", literal=True))
    .unique()
    .sort(title_cols, nulls_last=False)
    .unique(subset=["kind", "id"], keep="first", maintain_order=True)
)
refined.write_parquet(f"{out}/refined.parquet", compression="snappy")
refined.with_columns(pl.col("genres").str.replace_all(",", ";"), pl.col("rating").cast(pl.String)).sort(
    ["kind", "id"]
).write_csv(f"{out}/titles.csv")
print(refined.height, "titles", file=sys.stderr)
