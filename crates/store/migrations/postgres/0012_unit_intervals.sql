-- The sync's outputs as intervals (#13). Almost nothing changes from one day to the next, so a
-- row of the unit history, of its breakdown or of the activity digest is stored once per run of
-- consecutive days on which it holds, as [from_day, until_day), instead of once a day.
-- until_day NULL: the row still holds on the tenant's last synced day (it is open through
-- sync_state.synced_through and grows with it at no cost).
-- Canonical: an interval starts exactly on a day whose row differs from, or is absent on, the
-- day before, so the same per-day outputs always store the same rows.
-- The per-day rows already stored are folded into intervals (gaps and islands: a row starts an
-- island unless the day before holds the same value).

CREATE TABLE unit_history_intervals (
    tenant_id BIGINT NOT NULL,
    contract_service_id BIGINT NOT NULL,
    from_day TEXT NOT NULL,
    until_day TEXT,
    units TEXT NOT NULL,
    stale BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, contract_service_id, from_day)
);
INSERT INTO unit_history_intervals (tenant_id, contract_service_id, from_day, until_day, units, stale)
SELECT tenant_id, contract_service_id, MIN(day),
       CASE WHEN MAX(day) = (SELECT s.synced_through FROM sync_state s WHERE s.tenant_id = islands.tenant_id)
            THEN NULL ELSE to_char(CAST(MAX(day) AS DATE) + 1, 'YYYY-MM-DD') END,
       units, stale
FROM (
    SELECT *, SUM(starts) OVER (PARTITION BY tenant_id, contract_service_id ORDER BY day
                                ROWS UNBOUNDED PRECEDING) AS island
    FROM (
        SELECT tenant_id, contract_service_id, day, units, stale,
               CASE WHEN LAG(day) OVER w = to_char(CAST(day AS DATE) - 1, 'YYYY-MM-DD')
                         AND LAG(units) OVER w = units AND LAG(stale) OVER w = stale
                    THEN 0 ELSE 1 END AS starts
        FROM unit_history
        WINDOW w AS (PARTITION BY tenant_id, contract_service_id ORDER BY day)
    ) AS marked
) AS islands
GROUP BY tenant_id, contract_service_id, island, units, stale;
DROP TABLE unit_history;
ALTER TABLE unit_history_intervals RENAME TO unit_history;
ALTER INDEX unit_history_intervals_pkey RENAME TO unit_history_pkey;
-- The sync reads the open rows and cuts the intervals at a day; reads of a day range.
CREATE INDEX unit_history_by_until ON unit_history (tenant_id, until_day);
CREATE INDEX unit_history_by_from ON unit_history (tenant_id, from_day);

CREATE TABLE unit_sources_intervals (
    tenant_id BIGINT NOT NULL,
    contract_service_id BIGINT NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    from_day TEXT NOT NULL,
    until_day TEXT,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, contract_service_id, module_code, org_id, billing_type, from_day)
);
INSERT INTO unit_sources_intervals (tenant_id, contract_service_id, module_code, org_id, billing_type, from_day, until_day, quantity)
SELECT tenant_id, contract_service_id, module_code, org_id, billing_type, MIN(day),
       CASE WHEN MAX(day) = (SELECT s.synced_through FROM sync_state s WHERE s.tenant_id = islands.tenant_id)
            THEN NULL ELSE to_char(CAST(MAX(day) AS DATE) + 1, 'YYYY-MM-DD') END,
       quantity
FROM (
    SELECT *, SUM(starts) OVER (PARTITION BY tenant_id, contract_service_id, module_code, org_id, billing_type
                                ORDER BY day ROWS UNBOUNDED PRECEDING) AS island
    FROM (
        SELECT tenant_id, contract_service_id, module_code, org_id, billing_type, day, quantity,
               CASE WHEN LAG(day) OVER w = to_char(CAST(day AS DATE) - 1, 'YYYY-MM-DD') AND LAG(quantity) OVER w = quantity
                    THEN 0 ELSE 1 END AS starts
        FROM unit_sources
        WINDOW w AS (PARTITION BY tenant_id, contract_service_id, module_code, org_id, billing_type ORDER BY day)
    ) AS marked
) AS islands
GROUP BY tenant_id, contract_service_id, module_code, org_id, billing_type, island, quantity;
DROP TABLE unit_sources;
ALTER TABLE unit_sources_intervals RENAME TO unit_sources;
ALTER INDEX unit_sources_intervals_pkey RENAME TO unit_sources_pkey;
CREATE INDEX unit_sources_by_until ON unit_sources (tenant_id, until_day);
CREATE INDEX unit_sources_by_from ON unit_sources (tenant_id, from_day);

-- A digest row is identified by its position (seq) within its day, so a day reads back in the
-- order it was written; it continues from the day before only if every column is the same.
CREATE TABLE activity_log_intervals (
    tenant_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    from_day TEXT NOT NULL,
    until_day TEXT,
    module_code TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    company_id BIGINT,
    contract_service_id BIGINT,
    status TEXT NOT NULL,
    reason TEXT,
    units BIGINT NOT NULL,
    previous_units BIGINT NOT NULL,
    amount_at_stake TEXT,
    PRIMARY KEY (tenant_id, seq, from_day)
);
INSERT INTO activity_log_intervals (tenant_id, seq, from_day, until_day, module_code, billing_type, company_id,
                                    contract_service_id, status, reason, units, previous_units, amount_at_stake)
SELECT tenant_id, seq, MIN(day),
       CASE WHEN MAX(day) = (SELECT s.synced_through FROM sync_state s WHERE s.tenant_id = islands.tenant_id)
            THEN NULL ELSE to_char(CAST(MAX(day) AS DATE) + 1, 'YYYY-MM-DD') END,
       module_code, billing_type, company_id, contract_service_id, status, reason, units, previous_units,
       amount_at_stake
FROM (
    SELECT *, SUM(starts) OVER (PARTITION BY tenant_id, seq ORDER BY day ROWS UNBOUNDED PRECEDING) AS island
    FROM (
        SELECT a.*,
               CASE WHEN LAG(day) OVER w = to_char(CAST(day AS DATE) - 1, 'YYYY-MM-DD')
                         AND LAG(module_code) OVER w = module_code
                         AND LAG(billing_type) OVER w = billing_type
                         AND LAG(company_id) OVER w IS NOT DISTINCT FROM company_id
                         AND LAG(contract_service_id) OVER w IS NOT DISTINCT FROM contract_service_id
                         AND LAG(status) OVER w = status
                         AND LAG(reason) OVER w IS NOT DISTINCT FROM reason
                         AND LAG(units) OVER w = units
                         AND LAG(previous_units) OVER w = previous_units
                         AND LAG(amount_at_stake) OVER w IS NOT DISTINCT FROM amount_at_stake
                    THEN 0 ELSE 1 END AS starts
        FROM activity_log AS a
        WINDOW w AS (PARTITION BY tenant_id, seq ORDER BY day)
    ) AS marked
) AS islands
GROUP BY tenant_id, seq, island, module_code, billing_type, company_id, contract_service_id, status, reason,
         units, previous_units, amount_at_stake;
DROP TABLE activity_log;
ALTER TABLE activity_log_intervals RENAME TO activity_log;
ALTER INDEX activity_log_intervals_pkey RENAME TO activity_log_pkey;
CREATE INDEX activity_log_by_until ON activity_log (tenant_id, until_day);
CREATE INDEX activity_log_by_from ON activity_log (tenant_id, from_day);
