-- Usage as change points (#13). A module's complete snapshots are stored as runs: a row of
-- usage_points says that (org, billing type) had `quantity` on every complete snapshot day of
-- the module in [from_day, until_day) (until_day NULL: on every later one). Runs start and end
-- on complete snapshot days only, and two runs of a key never touch with the same quantity,
-- so one set of snapshots has exactly one representation whatever order they came in. A day
-- without a snapshot reads the latest earlier complete day's run, which is the carry-forward.
CREATE TABLE usage_points (
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    from_day TEXT NOT NULL,
    until_day TEXT,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, module_code, org_id, billing_type, from_day)
) WITHOUT ROWID;
CREATE INDEX usage_points_by_from ON usage_points (tenant_id, from_day, module_code);
CREATE INDEX usage_points_by_until ON usage_points (tenant_id, until_day, module_code);

-- The values of days that have only partial snapshots, as received (merged per day).
CREATE TABLE usage_partials (
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    usage_date TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, module_code, usage_date, org_id, billing_type)
) WITHOUT ROWID;

-- A digest of the last snapshot received for the day: the same snapshot sent again is
-- recognised without reading the stored day back.
ALTER TABLE snapshots ADD COLUMN body_hash TEXT;

-- Existing days: complete days become runs (gaps and islands over each module's complete
-- days), partial days move as they are.
WITH complete_days AS (
    SELECT tenant_id, module_code, usage_date,
           ROW_NUMBER() OVER (PARTITION BY tenant_id, module_code ORDER BY usage_date) AS n,
           LEAD(usage_date) OVER (PARTITION BY tenant_id, module_code ORDER BY usage_date) AS next_day
    FROM snapshots
    WHERE complete
),
runs AS (
    SELECT v.tenant_id, v.module_code, v.org_id, v.billing_type, v.quantity, c.usage_date,
           c.next_day,
           c.n - ROW_NUMBER() OVER (
               PARTITION BY v.tenant_id, v.module_code, v.org_id, v.billing_type, v.quantity
               ORDER BY c.n
           ) AS run
    FROM usage_values v
    JOIN complete_days c
      ON c.tenant_id = v.tenant_id AND c.module_code = v.module_code AND c.usage_date = v.usage_date
)
INSERT INTO usage_points (tenant_id, module_code, org_id, billing_type, from_day, until_day, quantity)
SELECT tenant_id, module_code, org_id, billing_type, MIN(usage_date),
       -- the day after the run's last day; NULL when the run reaches the last complete day
       CASE WHEN COUNT(next_day) < COUNT(*) THEN NULL ELSE MAX(next_day) END,
       quantity
FROM runs
GROUP BY tenant_id, module_code, org_id, billing_type, quantity, run;

INSERT INTO usage_partials (tenant_id, module_code, usage_date, org_id, billing_type, quantity)
SELECT v.tenant_id, v.module_code, v.usage_date, v.org_id, v.billing_type, v.quantity
FROM usage_values v
JOIN snapshots s
  ON s.tenant_id = v.tenant_id AND s.module_code = v.module_code AND s.usage_date = v.usage_date
WHERE NOT s.complete;

DROP TABLE usage_values;
