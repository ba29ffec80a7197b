"""The refine job (sql/*.sql's semantics) in DuckDB, for bench/refine/run.sh.

Reads the raw files with DuckDB's own CSV reader (all text, '|', no quoting), types them with the
same rules, writes Trusted and rejects Parquet, one row per Comedy/Animation title as Parquet,
and the dashboard extract as CSV. Usage: duckdb_job.py MOVIES SERIES OUT_DIR
"""

import sys

import duckdb

movies, series, out = sys.argv[1:4]
con = duckdb.connect()
MOVIE_COLS = "id,tituloPincipal,tituloOriginal,anoLancamento,tempoMinutos,genero,notaMedia,numeroVotos,generoArtista,personagem,nomeArtista,anoNascimento,anoFalecimento,profissao,titulosMaisConhecidos"
SERIES_COLS = "id,tituloPincipal,tituloOriginal,anoLancamento,anoTermino,tempoMinutos,genero,notaMedia,numeroVotos,generoArtista,personagem,nomeArtista,anoNascimento,anoFalecimento,profissao,titulosMaisConhecidos"


def read(path, cols):
    columns = ", ".join(f"'{c}': 'VARCHAR'" for c in cols.split(","))
    return (
        f"read_csv('{path}', delim='|', quote='', escape='', header=true, "
        f"columns={{{columns}}}, null_padding=false, strict_mode=false, ignore_errors=true)"
    )


def nul(c):
    return f"NULLIF({c}, '\\N')"


def typed(kind, src, end):
    return f"""
SELECT '{kind}' AS kind, id, tituloPincipal AS title, {nul('tituloOriginal')} AS original_title,
  TRY_CAST({nul('anoLancamento')} AS INT) AS year, TRY_CAST({nul(end)} AS INT) AS end_year,
  TRY_CAST({nul('tempoMinutos')} AS BIGINT) AS runtime_minutes, {nul('genero')} AS genres,
  TRY_CAST({nul('notaMedia')} AS DECIMAL(3,1)) AS rating, TRY_CAST({nul('numeroVotos')} AS BIGINT) AS votes,
  {nul('generoArtista')} AS artist_gender, {nul('personagem')} AS character_name,
  {nul('nomeArtista')} AS artist_name, TRY_CAST({nul('anoNascimento')} AS INT) AS birth_year,
  TRY_CAST({nul('anoFalecimento')} AS INT) AS death_year, {nul('profissao')} AS professions,
  {nul('titulosMaisConhecidos')} AS known_for,
  CASE
    WHEN NOT regexp_full_match(id, 'tt[0-9]+') THEN 'id'
    WHEN tituloPincipal IS NULL OR tituloPincipal IN ('', '\\N') THEN 'tituloPincipal'
    WHEN anoLancamento <> '\\N' AND NOT coalesce(TRY_CAST(anoLancamento AS BIGINT) BETWEEN 1850 AND 2100, false) THEN 'anoLancamento'
    WHEN {end} <> '\\N' AND NOT coalesce(TRY_CAST({end} AS BIGINT) BETWEEN 1850 AND 2100, false) THEN 'anoTermino'
    WHEN tempoMinutos <> '\\N' AND NOT regexp_full_match(tempoMinutos, '[0-9]+') THEN 'tempoMinutos'
    WHEN genero <> '\\N' AND NOT regexp_full_match(genero, '[^,;]+(,[^,;]+){{0,2}}') THEN 'genero'
    WHEN notaMedia <> '\\N' AND NOT (regexp_full_match(notaMedia, '[0-9]{{1,2}}([.][0-9])?')
        AND TRY_CAST(notaMedia AS DECIMAL(3,1)) BETWEEN 1.0 AND 10.0) THEN 'notaMedia'
    WHEN numeroVotos <> '\\N' AND NOT regexp_full_match(numeroVotos, '[0-9]+') THEN 'numeroVotos'
    WHEN anoNascimento <> '\\N' AND NOT coalesce(TRY_CAST(anoNascimento AS BIGINT) BETWEEN 1 AND 2100, false) THEN 'anoNascimento'
    WHEN anoFalecimento <> '\\N' AND NOT coalesce(TRY_CAST(anoFalecimento AS BIGINT) BETWEEN 1 AND 2100, false) THEN 'anoFalecimento'
  END AS reject_reason
FROM {src}"""


con.execute(
    f"CREATE TEMP TABLE raw_rows AS {typed('movie', read(movies, MOVIE_COLS), chr(39) + chr(92) + 'N' + chr(39))} "
    f"UNION ALL {typed('series', read(series, SERIES_COLS), 'anoTermino')}"
)
con.execute(f"COPY (SELECT * EXCLUDE (reject_reason) FROM raw_rows WHERE reject_reason IS NULL) TO '{out}/trusted.parquet' (FORMAT parquet, COMPRESSION snappy)")
con.execute(f"COPY (SELECT kind, reject_reason AS reason FROM raw_rows WHERE reject_reason IS NOT NULL) TO '{out}/rejects.parquet' (FORMAT parquet)")
con.execute("""
CREATE TEMP TABLE refined AS
SELECT kind, id, title, original_title, year, end_year, runtime_minutes, genres, rating, votes FROM (
  SELECT *, row_number() OVER (PARTITION BY kind, id ORDER BY title, original_title NULLS FIRST, year NULLS FIRST,
    end_year NULLS FIRST, runtime_minutes NULLS FIRST, genres NULLS FIRST, rating NULLS FIRST, votes NULLS FIRST) AS pick
  FROM (SELECT DISTINCT kind, id, title, original_title, year, end_year, runtime_minutes, genres, rating, votes
        FROM raw_rows WHERE reject_reason IS NULL
          AND (',' || genres || ',' LIKE '%,Comedy,%' OR ',' || genres || ',' LIKE '%,Animation,%')))
WHERE pick = 1""")
con.execute(f"COPY refined TO '{out}/refined.parquet' (FORMAT parquet, COMPRESSION snappy)")
con.execute(f"COPY (SELECT kind, id, title, original_title, year, end_year, runtime_minutes, replace(genres, ',', ';') AS genres, rating, votes FROM refined ORDER BY kind, id) TO '{out}/titles.csv' (HEADER, DELIMITER ',')")
print(con.execute("SELECT count(*) FROM refined").fetchone()[0], "titles", file=sys.stderr)
