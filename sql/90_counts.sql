-- @view stage_counts
-- @counts
--
-- Rows per stage and kind, for the manifest's lineage: raw lines read, rejected, trusted and
-- refined, and refined titles matched in TMDB. A (stage, kind) with no rows is absent; the
-- driver reads absence as 0.
SELECT 'raw' AS stage, kind, COUNT(*) AS row_count FROM raw_rows GROUP BY kind
UNION ALL
SELECT 'rejects' AS stage, kind, COUNT(*) AS row_count FROM rejects GROUP BY kind
UNION ALL
SELECT 'trusted' AS stage, kind, COUNT(*) AS row_count FROM trusted GROUP BY kind
UNION ALL
SELECT 'refined' AS stage, kind, COUNT(*) AS row_count FROM refined GROUP BY kind
UNION ALL
-- Refined titles whose newest TMDB record was found (the manifest's tmdb.matched).
SELECT 'tmdb_matched' AS stage, r.kind, COUNT(*) AS row_count
FROM refined AS r
JOIN tmdb_latest AS t ON t.imdb_id = r.id
WHERE t.status = 'found'
GROUP BY r.kind
