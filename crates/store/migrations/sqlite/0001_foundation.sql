-- Foundation: tenants, people and keys, modules, module organizations, daily usage.
-- Dates are TEXT 'YYYY-MM-DD' (civil dates of the tenant), instants TEXT RFC 3339 UTC,
-- decimals TEXT: SQLite's type affinity would otherwise turn them into floats.

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency TEXT NOT NULL,
    sync_hour INTEGER NOT NULL,
    lookback_periods INTEGER NOT NULL DEFAULT 3,
    retention_days INTEGER,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, email)
);

CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    UNIQUE (tenant_id, token_hash)
);

CREATE TABLE tenant_modules (
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    module_code TEXT NOT NULL,
    name TEXT NOT NULL,
    custom BOOLEAN NOT NULL,
    connected_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, module_code)
);

CREATE TABLE custom_billing_types (
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    PRIMARY KEY (tenant_id, module_code, code)
);

CREATE TABLE module_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    module_code TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    UNIQUE (tenant_id, key_hash)
);

CREATE TABLE module_orgs (
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT,
    first_seen_date TEXT NOT NULL,
    last_seen_date TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, module_code, org_id)
);

CREATE TABLE snapshots (
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    usage_date TEXT NOT NULL,
    complete BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    received_by TEXT NOT NULL,
    PRIMARY KEY (tenant_id, module_code, usage_date)
);

CREATE TABLE usage_values (
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    usage_date TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, module_code, usage_date, org_id, billing_type)
) WITHOUT ROWID;

CREATE TABLE usage_revisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    usage_date TEXT NOT NULL,
    org_id TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    old_quantity INTEGER NOT NULL,
    new_quantity INTEGER NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX usage_revisions_by_day ON usage_revisions (tenant_id, module_code, usage_date);
