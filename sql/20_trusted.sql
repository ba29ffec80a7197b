-- @view trusted
-- @output trusted
--
-- Stage 2 of 4: the Trusted zone, typed, one row per raw row that passed every rule, both kinds.
-- A title's own columns repeat on each of its (title, artist) rows, as in Raw.
SELECT
  kind,
  id,
  title,
  original_title,
  year,
  end_year,
  runtime_minutes,
  genres,
  rating,
  votes,
  artist_gender,
  character_name,
  artist_name,
  birth_year,
  death_year,
  professions,
  known_for
FROM raw_rows
WHERE reject_reason IS NULL
