-- The sync: its progress, a lease so two processes never sync one tenant at once, the unit
-- history with its breakdown, and the activity log.

CREATE TABLE sync_state (
    tenant_id INTEGER PRIMARY KEY,
    synced_through TEXT,
    resync_from TEXT
);

CREATE TABLE sync_leases (
    tenant_id INTEGER PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE TABLE unit_history (
    tenant_id INTEGER NOT NULL,
    contract_service_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    units TEXT NOT NULL,
    stale BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, contract_service_id, day)
) WITHOUT ROWID;
CREATE INDEX unit_history_by_day ON unit_history (tenant_id, day);

CREATE TABLE unit_sources (
    tenant_id INTEGER NOT NULL,
    contract_service_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, contract_service_id, day, module_code, org_id, billing_type)
) WITHOUT ROWID;
CREATE INDEX unit_sources_by_day ON unit_sources (tenant_id, day);

CREATE TABLE activity_log (
    tenant_id INTEGER NOT NULL,
    day TEXT NOT NULL,
    seq INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    company_id INTEGER,
    contract_service_id INTEGER,
    status TEXT NOT NULL,
    reason TEXT,
    units INTEGER NOT NULL,
    previous_units INTEGER NOT NULL,
    amount_at_stake TEXT,
    PRIMARY KEY (tenant_id, day, seq)
) WITHOUT ROWID;
