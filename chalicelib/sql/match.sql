-- The monthly matching rule (matching.md, "Rule" 1-4), one query for Athena (Trino) and DuckDB.
-- Parameters are tables (chalicelib/domain/matching.py: parameter_tables); the output has one
-- row per eligible signal of a matched household, with its case's figures on every row.
-- Kept to the common subset: no integer division, no date_add, date_diff in days only, no
-- QUALIFY or DuckDB-only syntax, and sums cast back to BIGINT (DuckDB widens them to HUGEINT).
WITH deliveries AS (
    SELECT s.leverancier, s.levering, s.peildatum, max(s.geupload_op) AS geupload_op
    FROM signals AS s
    CROSS JOIN run AS r
    WHERE s.peildatum >= r.levering_vanaf AND s.peildatum <= r.as_of
    GROUP BY s.leverancier, s.levering, s.peildatum
),
latest AS (
    SELECT leverancier, levering, peildatum
    FROM (
        SELECT
            leverancier,
            levering,
            peildatum,
            row_number() OVER (
                PARTITION BY leverancier
                ORDER BY peildatum DESC, geupload_op DESC NULLS LAST, levering DESC
            ) AS volgorde
        FROM deliveries
    ) AS ranked
    WHERE volgorde = 1
),
active_convenanten AS (
    -- DISTINCT: a gemeente and supplier may have several convenanten active on one day.
    SELECT DISTINCT c.gemeente, c.leverancier
    FROM convenanten AS c
    CROSS JOIN run AS r
    WHERE c.vanaf <= r.as_of AND (c.tot IS NULL OR c.tot >= r.as_of)
),
eligible AS (
    SELECT
        s.gemeente,
        s.huishouden,
        s.wijk,
        s.buurt,
        s.leverancier,
        s.levering,
        s.regel,
        s.signaaltype,
        s.bedrag_cent,
        s.achterstand_sinds,
        s.peildatum,
        s.crisis
    FROM signals AS s
    JOIN latest AS l
        ON s.leverancier = l.leverancier AND s.levering = l.levering AND s.peildatum = l.peildatum
    JOIN gemeente_regels AS g ON s.gemeente = g.gemeente
    JOIN active_convenanten AS a ON s.gemeente = a.gemeente AND s.leverancier = a.leverancier
    LEFT JOIN gemeente_signaaltypen AS t ON s.gemeente = t.gemeente AND s.signaaltype = t.signaaltype
    LEFT JOIN gemeente_vensters AS v ON s.gemeente = v.gemeente AND s.signaaltype = v.signaaltype
    WHERE (g.alle_signaaltypen OR t.signaaltype IS NOT NULL)
        AND date_diff('day', s.achterstand_sinds, s.peildatum) >= coalesce(v.min_dagen, g.min_dagen)
        AND date_diff('day', s.achterstand_sinds, s.peildatum) <= coalesce(v.max_dagen, g.max_dagen)
        AND s.bedrag_cent >= g.min_bedrag_cent
),
households AS (
    SELECT
        gemeente,
        huishouden,
        max(wijk) AS wijk,
        max(buurt) AS buurt,
        count(DISTINCT leverancier) AS aantal_leveranciers,
        CAST(sum(bedrag_cent) AS BIGINT) AS totaal_bedrag_cent,
        min(achterstand_sinds) AS oudste_achterstand,
        coalesce(bool_or(crisis), false) AS case_crisis
    FROM eligible
    GROUP BY gemeente, huishouden
),
recent_matches AS (
    SELECT DISTINCT m.gemeente, m.huishouden
    FROM vorige_matches AS m
    CROSS JOIN run AS r
    WHERE m.as_of > r.herhaald_vanaf AND m.as_of < r.as_of
),
cases AS (
    SELECT
        h.gemeente,
        h.huishouden,
        h.wijk,
        h.buurt,
        h.aantal_leveranciers,
        h.totaal_bedrag_cent,
        h.oudste_achterstand,
        p.huishouden IS NOT NULL AS herhaald,
        h.case_crisis,
        row_number() OVER (
            PARTITION BY h.gemeente
            ORDER BY h.case_crisis DESC, h.aantal_leveranciers DESC, h.totaal_bedrag_cent DESC, h.huishouden
        ) AS case_rank
    FROM households AS h
    JOIN gemeente_regels AS g ON h.gemeente = g.gemeente
    LEFT JOIN recent_matches AS p ON h.gemeente = p.gemeente AND h.huishouden = p.huishouden
    WHERE h.aantal_leveranciers >= g.min_leveranciers
)
SELECT
    e.gemeente,
    e.huishouden,
    c.wijk,
    c.buurt,
    e.leverancier,
    e.levering,
    e.regel,
    e.signaaltype,
    e.bedrag_cent,
    e.achterstand_sinds,
    e.peildatum,
    e.crisis,
    c.aantal_leveranciers,
    c.totaal_bedrag_cent,
    c.oudste_achterstand,
    c.herhaald,
    c.case_crisis,
    c.case_rank
FROM eligible AS e
JOIN cases AS c ON e.gemeente = c.gemeente AND e.huishouden = c.huishouden
ORDER BY e.gemeente, c.case_rank, e.leverancier, e.levering, e.regel
