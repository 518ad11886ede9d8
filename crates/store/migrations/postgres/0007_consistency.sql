-- Consistency: a recompute mark that a sync cannot lose, and the invariants the database
-- itself guards.

-- Every change that invalidates days bumps mark_seq in the same transaction; a sync batch
-- moves resync_from past its days only if no mark arrived since it read its inputs.
ALTER TABLE sync_state ADD COLUMN mark_seq BIGINT NOT NULL DEFAULT 0;

-- At most one posted (or voided) invoice, or run credit note, per company and period.
CREATE UNIQUE INDEX documents_one_per_company_period ON documents (tenant_id, company_id, period)
    WHERE status <> 'draft' AND (kind = 'invoice' OR credit_reason = 'run');

-- A payment reads what its invoice already received, inside its transaction.
CREATE INDEX payments_by_document ON payments (tenant_id, document_id);
CREATE INDEX credit_applications_by_document ON credit_applications (tenant_id, document_id);
