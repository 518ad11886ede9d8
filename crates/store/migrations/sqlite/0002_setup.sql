-- Companies, services, contracts, and the effective-dated mapping logs. Logs are append-only:
-- a setting's timeline is rebuilt by applying its changes in id order (a change effective from
-- E replaces what earlier changes said from E on), and the log is the history.

ALTER TABLE tenants ADD COLUMN billing_start TEXT;

CREATE TABLE tax_rates (
    tenant_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    percent TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE companies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    tax_rates TEXT NOT NULL,
    payment_terms_days INTEGER NOT NULL,
    bill_to_id INTEGER,
    external_ref TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    unit_cost TEXT NOT NULL,
    taxable BOOLEAN NOT NULL,
    description TEXT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE contracts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL REFERENCES companies (id),
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    timing TEXT NOT NULL,
    currency TEXT NOT NULL,
    purchase_order TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE contract_services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    service_id INTEGER NOT NULL REFERENCES services (id),
    description TEXT NOT NULL,
    active_from TEXT NOT NULL
);

CREATE TABLE contract_service_terms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    contract_service_id INTEGER NOT NULL REFERENCES contract_services (id),
    effective_from TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    unit_cost TEXT NOT NULL,
    rule TEXT NOT NULL,
    fixed_units TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

CREATE TABLE org_mapping_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    state TEXT NOT NULL,
    company_id INTEGER,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
CREATE INDEX org_mapping_changes_by_org ON org_mapping_changes (tenant_id, module_code, org_id);

CREATE TABLE service_mapping_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    module_code TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    contract_service_id INTEGER,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

CREATE TABLE module_billing_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL
);
