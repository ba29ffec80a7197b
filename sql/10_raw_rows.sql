-- @view raw_rows
-- @cache
--
-- Stage 1 of 4 (Raw -> Trusted): type every raw row of both kinds and give the first rule it
-- breaks, or NULL when it breaks none.
--
-- Inputs (registered by the driver, DataFusion or Spark): `raw_movies(line)` and
-- `raw_series(line)`, one row per physical line of movies.csv / series.csv after the header, the
-- line as text with its line end removed. Reading whole lines (not `|`-split columns) is what
-- lets a row with a wrong number of fields become a reject instead of failing the read.
--
-- The rules mirror the core crate's raw reader (crates/core/src/raw/mod.rs, "Per-column rules"),
-- checked in column order, the first broken rule giving the reason. Deliberate differences:
-- a genre containing ';' is rejected (the extract joins genres with ';'), votes above 2^63-1 are
-- "too large" (stored as BIGINT), and lines are not checked for UTF-8 (DataFusion's CSV reader
-- fails the run on invalid UTF-8, Spark replaces it; ingest validates it before upload).
--
-- Portability (DataFusion 55 and Spark SQL 4, see docs/spark.md): only split_part, length,
-- replace, regexp_like, CAST, CASE, ||, window and aggregate functions common to both. String
-- literals are written so that both engines read them the same: Spark runs with
-- spark.sql.parser.escapedStringLiterals=true, so '\N' is the two characters backslash and N in
-- both. Regular expressions use only [...] classes, {m,n}, ^ and $ (same in Rust and Java).
WITH lines AS (
  SELECT
    'movie' AS kind,
    line,
    length(line) - length(replace(line, '|', '')) + 1 AS field_count,
    15 AS expected_fields,
    split_part(line, '|', 1) AS f_id,
    split_part(line, '|', 2) AS f_title,
    split_part(line, '|', 3) AS f_original_title,
    split_part(line, '|', 4) AS f_year,
    '\N' AS f_end_year,
    split_part(line, '|', 5) AS f_runtime,
    split_part(line, '|', 6) AS f_genres,
    split_part(line, '|', 7) AS f_rating,
    split_part(line, '|', 8) AS f_votes,
    split_part(line, '|', 9) AS f_artist_gender,
    split_part(line, '|', 10) AS f_character,
    split_part(line, '|', 11) AS f_artist_name,
    split_part(line, '|', 12) AS f_birth_year,
    split_part(line, '|', 13) AS f_death_year,
    split_part(line, '|', 14) AS f_professions,
    split_part(line, '|', 15) AS f_known_for
  FROM raw_movies
  WHERE line IS NOT NULL AND line <> ''
  UNION ALL
  SELECT
    'series' AS kind,
    line,
    length(line) - length(replace(line, '|', '')) + 1 AS field_count,
    16 AS expected_fields,
    split_part(line, '|', 1) AS f_id,
    split_part(line, '|', 2) AS f_title,
    split_part(line, '|', 3) AS f_original_title,
    split_part(line, '|', 4) AS f_year,
    split_part(line, '|', 5) AS f_end_year,
    split_part(line, '|', 6) AS f_runtime,
    split_part(line, '|', 7) AS f_genres,
    split_part(line, '|', 8) AS f_rating,
    split_part(line, '|', 9) AS f_votes,
    split_part(line, '|', 10) AS f_artist_gender,
    split_part(line, '|', 11) AS f_character,
    split_part(line, '|', 12) AS f_artist_name,
    split_part(line, '|', 13) AS f_birth_year,
    split_part(line, '|', 14) AS f_death_year,
    split_part(line, '|', 15) AS f_professions,
    split_part(line, '|', 16) AS f_known_for
  FROM raw_series
  WHERE line IS NOT NULL AND line <> ''
),
checked AS (
  SELECT
    *,
    -- The first rule a row breaks, in column order, worded like the core reader's errors.
    CASE
      WHEN field_count <> expected_fields
        THEN 'expected ' || CAST(expected_fields AS STRING) || ' columns separated by | but found '
          || CAST(field_count AS STRING)
      WHEN NOT regexp_like(f_id, '^tt[0-9]+$')
        THEN 'column id: "' || f_id || '" is not an IMDb title id (tt followed by digits)'
      WHEN f_title = ''
        THEN 'column tituloPincipal: is empty but a title is required'
      WHEN f_title = '\N'
        THEN 'column tituloPincipal: is null (\N) but a title is required'
      WHEN f_year <> '\N' AND NOT regexp_like(f_year, '^[0-9]+$')
        THEN 'column anoLancamento: "' || f_year || '" is not a whole number'
      WHEN f_year <> '\N' AND coalesce(TRY_CAST(f_year AS BIGINT) > 4294967295, TRUE)
        THEN 'column anoLancamento: "' || f_year || '" is too large'
      WHEN f_year <> '\N' AND NOT (TRY_CAST(f_year AS BIGINT) BETWEEN 1850 AND 2100)
        THEN 'column anoLancamento: "' || f_year || '" is not a year between 1850 and 2100'
      WHEN f_end_year <> '\N' AND NOT regexp_like(f_end_year, '^[0-9]+$')
        THEN 'column anoTermino: "' || f_end_year || '" is not a whole number'
      WHEN f_end_year <> '\N' AND coalesce(TRY_CAST(f_end_year AS BIGINT) > 4294967295, TRUE)
        THEN 'column anoTermino: "' || f_end_year || '" is too large'
      WHEN f_end_year <> '\N' AND NOT (TRY_CAST(f_end_year AS BIGINT) BETWEEN 1850 AND 2100)
        THEN 'column anoTermino: "' || f_end_year || '" is not a year between 1850 and 2100'
      WHEN f_runtime <> '\N' AND NOT regexp_like(f_runtime, '^[0-9]+$')
        THEN 'column tempoMinutos: "' || f_runtime || '" is not a whole number'
      WHEN f_runtime <> '\N' AND coalesce(TRY_CAST(f_runtime AS BIGINT) > 4294967295, TRUE)
        THEN 'column tempoMinutos: "' || f_runtime || '" is too large'
      WHEN f_genres <> '\N' AND ',' || f_genres || ',' LIKE '%,,%'
        THEN 'column genero: "' || f_genres || '" has an empty genre'
      WHEN f_genres <> '\N'
          AND length(f_genres) - length(replace(f_genres, ',', '')) + 1 > 3
        THEN 'column genero: "' || f_genres || '" has '
          || CAST(length(f_genres) - length(replace(f_genres, ',', '')) + 1 AS STRING)
          || ' genres; at most 3 are allowed'
      -- The extract joins genres with ';', so a genre holding one could not be written back.
      WHEN f_genres <> '\N' AND f_genres LIKE '%;%'
        THEN 'column genero: "' || f_genres || '" has a genre containing ;'
      WHEN f_rating <> '\N' AND NOT regexp_like(f_rating, '^[0-9]+([.][0-9]+)?$')
        THEN 'column notaMedia: "' || f_rating || '" is not a number'
      WHEN f_rating <> '\N' AND NOT (regexp_like(f_rating, '^[0-9]{1,2}([.][0-9])?$')
          AND TRY_CAST(f_rating AS DECIMAL(3, 1)) BETWEEN 1.0 AND 10.0)
        THEN 'column notaMedia: "' || f_rating
          || '" is not a rating between 1.0 and 10.0 with at most one decimal'
      WHEN f_votes <> '\N' AND NOT regexp_like(f_votes, '^[0-9]+$')
        THEN 'column numeroVotos: "' || f_votes || '" is not a whole number'
      -- Votes are stored as BIGINT: above 2^63-1 (core allows up to 2^64-1) is "too large" here.
      WHEN f_votes <> '\N' AND TRY_CAST(f_votes AS BIGINT) IS NULL
        THEN 'column numeroVotos: "' || f_votes || '" is too large'
      WHEN f_birth_year <> '\N' AND NOT regexp_like(f_birth_year, '^[0-9]+$')
        THEN 'column anoNascimento: "' || f_birth_year || '" is not a whole number'
      WHEN f_birth_year <> '\N' AND coalesce(TRY_CAST(f_birth_year AS BIGINT) > 4294967295, TRUE)
        THEN 'column anoNascimento: "' || f_birth_year || '" is too large'
      WHEN f_birth_year <> '\N' AND NOT (TRY_CAST(f_birth_year AS BIGINT) BETWEEN 1 AND 2100)
        THEN 'column anoNascimento: "' || f_birth_year || '" is not a year between 1 and 2100'
      WHEN f_death_year <> '\N' AND NOT regexp_like(f_death_year, '^[0-9]+$')
        THEN 'column anoFalecimento: "' || f_death_year || '" is not a whole number'
      WHEN f_death_year <> '\N' AND coalesce(TRY_CAST(f_death_year AS BIGINT) > 4294967295, TRUE)
        THEN 'column anoFalecimento: "' || f_death_year || '" is too large'
      WHEN f_death_year <> '\N' AND NOT (TRY_CAST(f_death_year AS BIGINT) BETWEEN 1 AND 2100)
        THEN 'column anoFalecimento: "' || f_death_year || '" is not a year between 1 and 2100'
      WHEN f_professions <> '\N' AND ',' || f_professions || ',' LIKE '%,,%'
        THEN 'column profissao: "' || f_professions || '" has an empty item'
      WHEN f_known_for <> '\N' AND ',' || f_known_for || ',' LIKE '%,,%'
        THEN 'column titulosMaisConhecidos: "' || f_known_for || '" has an empty title id'
      WHEN f_known_for <> '\N' AND NOT regexp_like(f_known_for, '^tt[0-9]+(,tt[0-9]+)*$')
        THEN 'column titulosMaisConhecidos: "' || f_known_for || '" lists an item that is not an IMDb title id'
    END AS reject_reason
  FROM lines
)
SELECT
  kind,
  -- The raw line is kept for rejects only: it is most of a row's bytes and this view is cached.
  CASE WHEN reject_reason IS NOT NULL THEN line END AS line,
  reject_reason,
  -- Typed columns are NULL on rejected rows. TRY_CAST, not CAST, everywhere: DataFusion evaluates
  -- both sides of AND over a whole batch and Spark 4 runs with ANSI casts, so a plain CAST of a value
  -- that broke a rule would fail the query instead of yielding a reject.
  CASE WHEN reject_reason IS NULL THEN f_id END AS id,
  CASE WHEN reject_reason IS NULL THEN f_title END AS title,
  CASE WHEN reject_reason IS NULL AND f_original_title <> '\N' THEN f_original_title END
    AS original_title,
  CASE WHEN reject_reason IS NULL AND f_year <> '\N' THEN TRY_CAST(f_year AS INT) END AS year,
  CASE WHEN reject_reason IS NULL AND f_end_year <> '\N' THEN TRY_CAST(f_end_year AS INT) END
    AS end_year,
  CASE WHEN reject_reason IS NULL AND f_runtime <> '\N' THEN TRY_CAST(f_runtime AS BIGINT) END
    AS runtime_minutes,
  CASE WHEN reject_reason IS NULL AND f_genres <> '\N' THEN f_genres END AS genres,
  CASE WHEN reject_reason IS NULL AND f_rating <> '\N' THEN TRY_CAST(f_rating AS DECIMAL(3, 1)) END
    AS rating,
  CASE WHEN reject_reason IS NULL AND f_votes <> '\N' THEN TRY_CAST(f_votes AS BIGINT) END AS votes,
  CASE WHEN reject_reason IS NULL AND f_artist_gender <> '\N' THEN f_artist_gender END
    AS artist_gender,
  CASE WHEN reject_reason IS NULL AND f_character <> '\N' THEN f_character END AS character_name,
  CASE WHEN reject_reason IS NULL AND f_artist_name <> '\N' THEN f_artist_name END
    AS artist_name,
  CASE WHEN reject_reason IS NULL AND f_birth_year <> '\N' THEN TRY_CAST(f_birth_year AS INT) END
    AS birth_year,
  CASE WHEN reject_reason IS NULL AND f_death_year <> '\N' THEN TRY_CAST(f_death_year AS INT) END
    AS death_year,
  CASE WHEN reject_reason IS NULL AND f_professions <> '\N' THEN f_professions END
    AS professions,
  CASE WHEN reject_reason IS NULL AND f_known_for <> '\N' THEN f_known_for END AS known_for
FROM checked
