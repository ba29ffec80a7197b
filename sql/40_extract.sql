-- @view extract
-- @output extract
--
-- Stage 4 of 4: the dashboard extract (DESIGN.md, "The dashboard extract"), one row per refined
-- title in the contract's column order. Genres are ';'-joined there. The driver writes it as
-- RFC 4180 CSV with the core crate's extract writer (DataFusion) or Spark's CSV writer set to
-- RFC 4180 quoting (jobs/spark/refine.py).
SELECT
  kind,
  id,
  title,
  original_title,
  year,
  end_year,
  runtime_minutes,
  replace(genres, ',', ';') AS genres,
  rating,
  votes,
  -- The optional TMDB columns (NULL without TMDB data); the driver leaves them out of the CSV
  -- when no title has any, so such an extract keeps the ten base columns.
  budget,
  revenue,
  popularity,
  tmdb_vote_average,
  tmdb_vote_count,
  replace(production_countries, ',', ';') AS production_countries
FROM refined
ORDER BY kind, id
