-- @view tmdb_latest
-- @cache
--
-- TMDB (Raw/TMDB/JSON, written by `cinelake enrich`): the newest record of each IMDb id, with
-- TMDB's "unknown" values made NULL, ready to join to the refined titles.
--
-- Input (registered by the driver, DataFusion or Spark; crates/refine/src/tmdb.rs):
-- `tmdb_records(source_key, imdb_id, status, fetched_at, budget, revenue, popularity,
-- vote_average, vote_count, production_countries)`, one row per stored record of every day, the
-- numbers taken from the record's `details` (NULL when absent or of the wrong JSON type),
-- production_countries a list of ISO 3166-1 codes. With no TMDB files the view is empty and every
-- TMDB column of the refined titles is NULL.
--
-- An id fetched more than once (a re-run after deleting files, two lakes merged) keeps its newest
-- record, by `fetched_at` (RFC 3339 UTC, so text order is time order), then by file key (a later
-- file of the same second wins); that record wins even when it says `not_found`.
--
-- TMDB writes 0 for an unknown budget or revenue and a 0.0 average for a title nobody voted on:
-- those are NULL here, not numbers a chart or a model should take at face value.
WITH ranked AS (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY imdb_id
      ORDER BY fetched_at DESC NULLS LAST, source_key DESC
    ) AS pick
  FROM tmdb_records
  WHERE imdb_id IS NOT NULL
)
SELECT
  imdb_id,
  status,
  CASE WHEN status = 'found' AND budget > 0 THEN budget END AS budget,
  CASE WHEN status = 'found' AND revenue > 0 THEN revenue END AS revenue,
  CASE WHEN status = 'found' AND popularity >= 0 THEN popularity END AS popularity,
  CASE WHEN status = 'found' AND vote_count > 0 AND vote_average BETWEEN 0 AND 10
    THEN vote_average END AS vote_average,
  CASE WHEN status = 'found' AND vote_count >= 0 THEN vote_count END AS vote_count,
  -- ','-joined like the refined genres; the extract joins both with ';'.
  CASE WHEN status = 'found' AND cardinality(production_countries) > 0
    THEN array_join(production_countries, ',') END AS production_countries
FROM ranked
WHERE pick = 1
