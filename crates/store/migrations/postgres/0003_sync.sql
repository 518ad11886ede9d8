-- The sync: its progress, a lease so two processes never sync one tenant at once, the unit
-- history with its breakdown, and the activity log.

CREATE TABLE sync_state (
    tenant_id BIGINT PRIMARY KEY,
    synced_through TEXT,
    resync_from TEXT
);

CREATE TABLE sync_leases (
    tenant_id BIGINT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE unit_history (
    tenant_id BIGINT NOT NULL,
    contract_service_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    units TEXT NOT NULL,
    stale BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, contract_service_id, day)
);
CREATE INDEX unit_history_by_day ON unit_history (tenant_id, day);

CREATE TABLE unit_sources (
    tenant_id BIGINT NOT NULL,
    contract_service_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    quantity BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, contract_service_id, day, module_code, org_id, billing_type)
);
CREATE INDEX unit_sources_by_day ON unit_sources (tenant_id, day);

CREATE TABLE activity_log (
    tenant_id BIGINT NOT NULL,
    day TEXT NOT NULL,
    seq BIGINT NOT NULL,
    module_code TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    company_id BIGINT,
    contract_service_id BIGINT,
    status TEXT NOT NULL,
    reason TEXT,
    units BIGINT NOT NULL,
    previous_units BIGINT NOT NULL,
    amount_at_stake TEXT,
    PRIMARY KEY (tenant_id, day, seq)
);
