-- @view refined
-- @cache
-- @output refined
--
-- Stage 3 of 4 (Trusted -> Refined): one row per title, Comedy or Animation only.
--
-- Each title appears on one Trusted row per artist, with its own columns repeated. Rows of one
-- title normally agree; when they do not (a hand-edited raw file), the title takes the columns of
-- one whole row, chosen by a total order on those columns, so both engines pick the same row and
-- a title never mixes columns of different rows. NULLS FIRST/LAST is spelled out because the two
-- engines default differently.
--
-- A genre matches only as a whole list item: 'Comedy' matches, 'Dark Comedy' would not.
--
-- TMDB's columns (budget, revenue, popularity, tmdb_vote_average, tmdb_vote_count,
-- production_countries) come from `tmdb_latest` (25_tmdb.sql) by IMDb id, NULL when TMDB has
-- nothing for the title.
WITH variants AS (
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
    row_number() OVER (
      PARTITION BY kind, id
      ORDER BY
        title ASC NULLS FIRST,
        original_title ASC NULLS FIRST,
        year ASC NULLS FIRST,
        end_year ASC NULLS FIRST,
        runtime_minutes ASC NULLS FIRST,
        genres ASC NULLS FIRST,
        rating ASC NULLS FIRST,
        votes ASC NULLS FIRST
    ) AS pick
  FROM (
    SELECT DISTINCT
      kind, id, title, original_title, year, end_year, runtime_minutes, genres, rating, votes
    FROM trusted
    WHERE ',' || genres || ',' LIKE '%,Comedy,%'
       OR ',' || genres || ',' LIKE '%,Animation,%'
  ) AS distinct_rows
)
SELECT
  v.kind,
  v.id,
  v.title,
  v.original_title,
  v.year,
  v.end_year,
  v.runtime_minutes,
  v.genres,
  v.rating,
  v.votes,
  t.budget,
  t.revenue,
  t.popularity,
  t.vote_average AS tmdb_vote_average,
  t.vote_count AS tmdb_vote_count,
  t.production_countries
FROM variants AS v
LEFT JOIN tmdb_latest AS t ON t.imdb_id = v.id
WHERE v.pick = 1
