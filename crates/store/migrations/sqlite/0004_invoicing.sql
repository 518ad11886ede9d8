-- Invoicing: runs, documents (invoices and credit notes) with their lines, gapless number
-- sequences, one-off lines, payments and applied credit.

ALTER TABLE tenants ADD COLUMN invoice_number_format TEXT NOT NULL DEFAULT 'INV-{seq:05}';
ALTER TABLE tenants ADD COLUMN credit_note_number_format TEXT NOT NULL DEFAULT 'CN-{seq:05}';

CREATE TABLE invoice_runs (
    tenant_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, period)
);

CREATE TABLE documents (
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
    UNIQUE (tenant_id, kind, number)
);
CREATE INDEX documents_by_period ON documents (tenant_id, period, status);

CREATE TABLE document_lines (
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
    PRIMARY KEY (tenant_id, document_id, line_no)
) WITHOUT ROWID;
CREATE INDEX document_lines_by_service ON document_lines (tenant_id, contract_service_id, period);

CREATE TABLE number_sequences (
    tenant_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    next_value INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);

CREATE TABLE one_offs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    period TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price TEXT NOT NULL,
    taxable BOOLEAN NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE payments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    document_id INTEGER,
    amount TEXT NOT NULL,
    applied TEXT NOT NULL,
    paid_on TEXT NOT NULL,
    method TEXT NOT NULL,
    reference TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE credit_applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    company_id INTEGER NOT NULL,
    document_id INTEGER NOT NULL,
    amount TEXT NOT NULL,
    created_at TEXT NOT NULL
);
