-- @view rejects
-- @output rejects
--
-- Stage 2 of 4, the other half: every raw row that broke a rule, with the first rule it broke and
-- the line as it was, so that a reject can be fixed at the source and re-ingested.
SELECT
  kind,
  reject_reason AS reason,
  line
FROM raw_rows
WHERE reject_reason IS NOT NULL
