-- The overview of cnplans: one readable row per target, and per cluster and region it is in.
--
-- The one definition of the overview. `cnplans.loader.overviews.create_views` runs this file on a
-- database that holds the package's tables under their own names and column names, stored as
-- the release database stores them: booleans as 0/1 INTEGER, integers and years as INTEGER,
-- numbers as REAL, dates and categories as TEXT, missing values as NULL. Every column is read or
-- computed from the tables; nothing is curated, and a value the tables do not give stays NULL.
-- Only core SQLite is used (printf, round, CAST, CASE, a recursive CTE), so the views work in
-- the sqlite3 shell, Python's sqlite3 module and Datasette.
--
-- Both views find a region's province in the view `overview_provinces`: walk regions.parent_id
-- up to the region that has no parent (at most 16 levels, so that a cycle in broken data cannot
-- loop).

CREATE VIEW overview_provinces AS
WITH RECURSIVE
  ancestry(region_id, ancestor_id, parent_id, depth) AS (
    SELECT region_id, region_id, parent_id, 0 FROM regions
    UNION ALL
    SELECT a.region_id, r.region_id, r.parent_id, a.depth + 1
    FROM ancestry AS a JOIN regions AS r ON r.region_id = a.parent_id
    WHERE a.depth < 16
  ),
  provinces(region_id, province_id) AS (
    SELECT region_id, ancestor_id FROM ancestry WHERE parent_id IS NULL
  )
SELECT region_id, province_id FROM provinces;

CREATE VIEW overview_targets AS
WITH
  provinces AS (SELECT * FROM overview_provinces),
  -- How the stated value is written: money is scaled to trillion/billion/million by the larger
  -- end of a range (both ends share the scale); below a million it is whole units.
  scaled AS (
    SELECT
      t.*,
      t.unit GLOB '[A-Z][A-Z][A-Z]' AS is_money,
      CASE
        WHEN t.unit NOT GLOB '[A-Z][A-Z][A-Z]' THEN 1.0
        WHEN max(t.value, coalesce(t.value_max, t.value)) >= 1e12 THEN 1e12
        WHEN max(t.value, coalesce(t.value_max, t.value)) >= 1e9 THEN 1e9
        WHEN max(t.value, coalesce(t.value_max, t.value)) >= 1e6 THEN 1e6
        ELSE 1.0
      END AS divisor
    FROM targets AS t
  ),
  numbers AS (
    SELECT
      s.*,
      -- printf would write a NULL as 0.000: a missing number gives NULL text instead
      CASE WHEN s.value IS NOT NULL THEN printf('%.3f',
        CASE WHEN s.is_money AND s.divisor = 1.0 THEN round(s.value) ELSE s.value / s.divisor END)
      END AS value_text,
      CASE WHEN s.value_max IS NOT NULL THEN printf('%.3f',
        CASE WHEN s.is_money AND s.divisor = 1.0 THEN round(s.value_max)
             ELSE s.value_max / s.divisor END)
      END AS value_max_text,
      s.value_max / s.fx_units_per_usd AS usd_max_exact
    FROM scaled AS s
  ),
  -- "1234.500" -> "1,234.5": thousands separators, at most 3 decimals, trailing zeros dropped.
  words AS (
    SELECT
      n.*,
      printf('%,d', CAST(substr(n.value_text, 1, instr(n.value_text, '.') - 1) AS INTEGER))
        || rtrim(rtrim(substr(n.value_text, instr(n.value_text, '.')), '0'), '.') AS lo,
      printf('%,d', CAST(substr(n.value_max_text, 1, instr(n.value_max_text, '.') - 1) AS INTEGER))
        || rtrim(rtrim(substr(n.value_max_text, instr(n.value_max_text, '.')), '0'), '.') AS hi,
      CASE n.divisor WHEN 1e12 THEN ' trillion' WHEN 1e9 THEN ' billion'
                     WHEN 1e6 THEN ' million' ELSE '' END
        || CASE n.unit WHEN 'CNY' THEN ' yuan' WHEN 'USD' THEN ' US dollars'
                       WHEN 'percent' THEN ' percent' WHEN 'count' THEN ''
                       ELSE ' ' || n.unit END AS unit_words
    FROM numbers AS n
  )
SELECT
  w.target_id,
  p.region_id,
  r.name_en AS region_name_en,
  r.name_zh AS region_name_zh,
  r.level AS region_level,
  pv.province_id,
  pr.name_en AS province_name_en,
  pr.name_zh AS province_name_zh,
  w.plan_id,
  p.title AS plan_title,
  p.issuer AS plan_issuer,
  p.sector AS plan_sector,
  p.period_start AS plan_period_start,
  p.period_end AS plan_period_end,
  w.target_type,
  w.indicator,
  w.subject,
  CASE w.qualifier
    WHEN 'exactly' THEN w.lo
    WHEN 'about' THEN 'about ' || w.lo
    WHEN 'at_least' THEN 'at least ' || w.lo
    WHEN 'more_than' THEN 'more than ' || w.lo
    WHEN 'up_to' THEN 'up to ' || w.lo
    WHEN 'range' THEN w.lo || ' to ' || w.hi -- NULL when value_max is missing
  END || w.unit_words AS stated,
  w.value,
  w.value_max,
  w.unit,
  w.qualifier,
  w.strive,
  coalesce(w.target_year, p.period_end) AS year,
  CASE
    WHEN w.target_year IS NOT NULL THEN w.target_year_basis
    WHEN p.period_end IS NOT NULL THEN 'plan_period_end'
  END AS year_basis,
  w.usd,
  CASE
    WHEN w.value_max IS NULL OR NOT w.is_money THEN NULL
    WHEN w.unit = 'USD' THEN w.value_max
    -- whole dollars, half to even, as `cnplans convert` rounds `usd`
    WHEN w.usd_max_exact - CAST(w.usd_max_exact AS INTEGER) = 0.5
      AND CAST(w.usd_max_exact AS INTEGER) % 2 = 0 THEN CAST(w.usd_max_exact AS INTEGER) * 1.0
    ELSE round(w.usd_max_exact)
  END AS usd_max,
  w.fx_year,
  w.fx_basis,
  w.reported_usd,
  w.source_id,
  s.title AS source_title,
  w.quote
FROM words AS w
LEFT JOIN plans AS p ON p.plan_id = w.plan_id
LEFT JOIN regions AS r ON r.region_id = p.region_id
LEFT JOIN provinces AS pv ON pv.region_id = p.region_id
LEFT JOIN regions AS pr ON pr.region_id = pv.province_id
LEFT JOIN sources AS s ON s.source_id = w.source_id
ORDER BY w.target_id;

CREATE VIEW overview_clusters AS
WITH provinces AS (SELECT * FROM overview_provinces)
SELECT
  c.cluster_id,
  c.name AS cluster_name,
  c.kind,
  c.focus,
  cr.region_id,
  r.name_en AS region_name_en,
  r.name_zh AS region_name_zh,
  r.level AS region_level,
  pv.province_id,
  pr.name_en AS province_name_en,
  pr.name_zh AS province_name_zh,
  cr.basis AS region_basis,
  c.plan_id,
  p.title AS plan_title,
  p.issuer AS plan_issuer,
  p.period_start AS plan_period_start,
  p.period_end AS plan_period_end,
  c.source_id,
  s.title AS source_title,
  c.quote
FROM clusters AS c
LEFT JOIN cluster_regions AS cr ON cr.cluster_id = c.cluster_id
LEFT JOIN regions AS r ON r.region_id = cr.region_id
LEFT JOIN provinces AS pv ON pv.region_id = cr.region_id
LEFT JOIN regions AS pr ON pr.region_id = pv.province_id
LEFT JOIN plans AS p ON p.plan_id = c.plan_id
LEFT JOIN sources AS s ON s.source_id = c.source_id
ORDER BY c.cluster_id, cr.region_id;
