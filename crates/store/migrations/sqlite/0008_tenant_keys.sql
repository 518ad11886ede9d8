-- no-transaction
-- Tenant-scoped foreign keys: a row can only name a company, contract, service, contract
-- service or document of its own tenant. SQLite cannot add constraints to a table, so each
-- child table is rebuilt (SQLite's documented procedure: foreign keys off, new table, copy,
-- drop, rename, check), in one transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
-- Rebuilt tables keep their AUTOINCREMENT high-water marks: no id is handed out twice.
CREATE TEMP TABLE saved_sequences AS SELECT name, seq FROM sqlite_sequence;

CREATE UNIQUE INDEX services_tenant_key ON services (tenant_id, id);
CREATE TABLE companies_scoped (
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
    UNIQUE (tenant_id, name),
    FOREIGN KEY (tenant_id, bill_to_id) REFERENCES companies (tenant_id, id)
);
INSERT INTO companies_scoped (id, tenant_id, name, status, currency, tax_rates, payment_terms_days, bill_to_id, external_ref, created_at) SELECT id, tenant_id, name, status, currency, tax_rates, payment_terms_days, bill_to_id, external_ref, created_at FROM companies;
DROP TABLE companies;
ALTER TABLE companies_scoped RENAME TO companies;
CREATE UNIQUE INDEX companies_tenant_key ON companies (tenant_id, id);

CREATE TABLE contracts_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    timing TEXT NOT NULL,
    currency TEXT NOT NULL,
    purchase_order TEXT,
    created_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id)
);
INSERT INTO contracts_scoped (id, tenant_id, company_id, name, start_date, end_date, timing, currency, purchase_order, created_at) SELECT id, tenant_id, company_id, name, start_date, end_date, timing, currency, purchase_order, created_at FROM contracts;
DROP TABLE contracts;
ALTER TABLE contracts_scoped RENAME TO contracts;
CREATE UNIQUE INDEX contracts_tenant_key ON contracts (tenant_id, id);

CREATE TABLE contract_services_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    contract_id INTEGER NOT NULL,
    service_id INTEGER NOT NULL,
    description TEXT NOT NULL,
    active_from TEXT NOT NULL,
    FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);
INSERT INTO contract_services_scoped (id, tenant_id, contract_id, service_id, description, active_from) SELECT id, tenant_id, contract_id, service_id, description, active_from FROM contract_services;
DROP TABLE contract_services;
ALTER TABLE contract_services_scoped RENAME TO contract_services;
CREATE UNIQUE INDEX contract_services_tenant_key ON contract_services (tenant_id, id);

CREATE TABLE contract_service_terms_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    contract_service_id INTEGER NOT NULL,
    effective_from TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    unit_cost TEXT NOT NULL,
    rule TEXT NOT NULL,
    fixed_units TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, contract_service_id) REFERENCES contract_services (tenant_id, id)
);
INSERT INTO contract_service_terms_scoped (id, tenant_id, contract_service_id, effective_from, unit_price, unit_cost, rule, fixed_units, changed_by, changed_at) SELECT id, tenant_id, contract_service_id, effective_from, unit_price, unit_cost, rule, fixed_units, changed_by, changed_at FROM contract_service_terms;
DROP TABLE contract_service_terms;
ALTER TABLE contract_service_terms_scoped RENAME TO contract_service_terms;

CREATE TABLE org_mapping_changes_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    org_id TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    state TEXT NOT NULL,
    company_id INTEGER,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id)
);
INSERT INTO org_mapping_changes_scoped (id, tenant_id, module_code, org_id, effective_from, state, company_id, changed_by, changed_at) SELECT id, tenant_id, module_code, org_id, effective_from, state, company_id, changed_by, changed_at FROM org_mapping_changes;
DROP TABLE org_mapping_changes;
ALTER TABLE org_mapping_changes_scoped RENAME TO org_mapping_changes;
CREATE INDEX org_mapping_changes_by_org ON org_mapping_changes (tenant_id, module_code, org_id);

CREATE TABLE service_mapping_changes_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL,
    contract_id INTEGER NOT NULL,
    module_code TEXT NOT NULL,
    billing_type TEXT NOT NULL,
    effective_from TEXT NOT NULL,
    contract_service_id INTEGER,
    changed_by TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, contract_id) REFERENCES contracts (tenant_id, id),
    FOREIGN KEY (tenant_id, contract_service_id) REFERENCES contract_services (tenant_id, id)
);
INSERT INTO service_mapping_changes_scoped (id, tenant_id, contract_id, module_code, billing_type, effective_from, contract_service_id, changed_by, changed_at) SELECT id, tenant_id, contract_id, module_code, billing_type, effective_from, contract_service_id, changed_by, changed_at FROM service_mapping_changes;
DROP TABLE service_mapping_changes;
ALTER TABLE service_mapping_changes_scoped RENAME TO service_mapping_changes;

CREATE TABLE documents_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    period TEXT NOT NULL,
    company_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    credit_reason TEXT,
    status TEXT NOT NULL,
    number TEXT,
    currency TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    due_date TEXT,
    subtotal TEXT NOT NULL,
    tax_total TEXT NOT NULL,
    total TEXT NOT NULL,
    taxes TEXT NOT NULL,
    purchase_orders TEXT NOT NULL,
    voids_document_id INTEGER,
    posted_at TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (tenant_id, kind, number),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id),
    FOREIGN KEY (tenant_id, voids_document_id) REFERENCES documents (tenant_id, id)
);
INSERT INTO documents_scoped (id, tenant_id, period, company_id, kind, credit_reason, status, number, currency, issue_date, due_date, subtotal, tax_total, total, taxes, purchase_orders, voids_document_id, posted_at, created_at) SELECT id, tenant_id, period, company_id, kind, credit_reason, status, number, currency, issue_date, due_date, subtotal, tax_total, total, taxes, purchase_orders, voids_document_id, posted_at, created_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_scoped RENAME TO documents;
CREATE INDEX documents_by_period ON documents (tenant_id, period, status);
CREATE UNIQUE INDEX documents_one_per_company_period ON documents (tenant_id, company_id, period)
    WHERE status <> 'draft' AND (kind = 'invoice' OR credit_reason = 'run');
CREATE UNIQUE INDEX documents_tenant_key ON documents (tenant_id, id);

CREATE TABLE document_lines_scoped (
    tenant_id INTEGER NOT NULL,
    document_id INTEGER NOT NULL,
    line_no INTEGER NOT NULL,
    company_id INTEGER NOT NULL,
    for_child TEXT,
    contract_service_id INTEGER,
    service_id INTEGER,
    contract_id INTEGER,
    period TEXT NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    amount TEXT NOT NULL,
    taxable BOOLEAN NOT NULL,
    tax_rates TEXT NOT NULL,
    stale BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, document_id, line_no),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id),
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO document_lines_scoped (tenant_id, document_id, line_no, company_id, for_child, contract_service_id, service_id, contract_id, period, kind, description, quantity, unit_price, amount, taxable, tax_rates, stale) SELECT tenant_id, document_id, line_no, company_id, for_child, contract_service_id, service_id, contract_id, period, kind, description, quantity, unit_price, amount, taxable, tax_rates, stale FROM document_lines;
DROP TABLE document_lines;
ALTER TABLE document_lines_scoped RENAME TO document_lines;
CREATE INDEX document_lines_by_service ON document_lines (tenant_id, contract_service_id, period);

CREATE TABLE one_offs_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    taxable BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id)
);
INSERT INTO one_offs_scoped (id, tenant_id, company_id, period, description, quantity, unit_price, taxable, created_at) SELECT id, tenant_id, company_id, period, description, quantity, unit_price, taxable, created_at FROM one_offs;
DROP TABLE one_offs;
ALTER TABLE one_offs_scoped RENAME TO one_offs;

CREATE TABLE payments_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    document_id INTEGER,
    amount TEXT NOT NULL,
    applied TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id)
);
INSERT INTO payments_scoped (id, tenant_id, company_id, document_id, amount, applied, paid_on, method, reference, created_at) SELECT id, tenant_id, company_id, document_id, amount, applied, paid_on, method, reference, created_at FROM payments;
DROP TABLE payments;
ALTER TABLE payments_scoped RENAME TO payments;
CREATE INDEX payments_by_document ON payments (tenant_id, document_id);

CREATE TABLE credit_applications_scoped (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    document_id INTEGER NOT NULL,
    amount TEXT NOT NULL,
    created_at TEXT NOT NULL,
    FOREIGN KEY (tenant_id, company_id) REFERENCES companies (tenant_id, id),
    FOREIGN KEY (tenant_id, document_id) REFERENCES documents (tenant_id, id)
);
INSERT INTO credit_applications_scoped (id, tenant_id, company_id, document_id, amount, created_at) SELECT id, tenant_id, company_id, document_id, amount, created_at FROM credit_applications;
DROP TABLE credit_applications;
ALTER TABLE credit_applications_scoped RENAME TO credit_applications;
CREATE INDEX credit_applications_by_document ON credit_applications (tenant_id, document_id);

DELETE FROM sqlite_sequence WHERE name IN (SELECT name FROM temp.saved_sequences);
INSERT INTO sqlite_sequence (name, seq) SELECT name, seq FROM temp.saved_sequences;
DROP TABLE temp.saved_sequences;
COMMIT;
PRAGMA foreign_keys = ON;
