//! Views of invoicing: runs, documents (invoices and credit notes), one-off lines, payments
//! and credit applications.

use unitbill_store::{CreditApplication, DocumentRecord, OneOffRecord, PaymentRecord};

use crate::{Engine, EngineError, EngineResult};

impl Engine {
    /// Periods that have had an invoice run, ascending.
    pub async fn invoice_runs(&self, tenant_id: i64) -> EngineResult<Vec<String>> {
        Ok(self.store.invoice_runs(tenant_id).await?)
    }

    /// Document headers (no lines), newest first, of one period and/or one company if given.
    pub async fn documents(
        &self,
        tenant_id: i64,
        period: Option<&str>,
        company_id: Option<i64>,
    ) -> EngineResult<Vec<DocumentRecord>> {
        Ok(self.store.documents(tenant_id, period, company_id).await?)
    }

    /// Every document of a period, drafts included, with its lines.
    pub async fn period_documents(
        &self,
        tenant_id: i64,
        period: &str,
    ) -> EngineResult<Vec<DocumentRecord>> {
        Ok(self.store.period_documents(tenant_id, period).await?)
    }

    /// One document with its lines, by id.
    pub async fn document(&self, tenant_id: i64, id: i64) -> EngineResult<DocumentRecord> {
        Ok(self.store.document(tenant_id, id).await?)
    }

    /// One document with its lines, by number (`INV-00001`).
    pub async fn document_by_number(
        &self,
        tenant_id: i64,
        number: &str,
    ) -> EngineResult<DocumentRecord> {
        // Number formats refuse control characters, so no number holds one; and PostgreSQL
        // cannot compare text holding NUL at all. Such a "number" names no document.
        if number.chars().any(char::is_control) {
            return Err(EngineError::NotFound(format!("document {number:?}")));
        }
        Ok(self.store.document_by_number(tenant_id, number).await?)
    }

    /// One document with its lines, by id (all digits) or else by number.
    pub async fn find_document(
        &self,
        tenant_id: i64,
        id_or_number: &str,
    ) -> EngineResult<DocumentRecord> {
        match id_or_number.parse::<i64>() {
            Ok(id) => self.document(tenant_id, id).await,
            Err(_) => self.document_by_number(tenant_id, id_or_number).await,
        }
    }

    /// The one-off lines added to a period.
    pub async fn one_offs(&self, tenant_id: i64, period: &str) -> EngineResult<Vec<OneOffRecord>> {
        Ok(self.store.one_offs(tenant_id, period).await?)
    }

    /// Payments received, of one company if given.
    pub async fn payments(
        &self,
        tenant_id: i64,
        company_id: Option<i64>,
    ) -> EngineResult<Vec<PaymentRecord>> {
        Ok(self.store.payments(tenant_id, company_id).await?)
    }

    /// Credit applied to invoices, of one company if given.
    pub async fn credit_applications(
        &self,
        tenant_id: i64,
        company_id: Option<i64>,
    ) -> EngineResult<Vec<CreditApplication>> {
        Ok(self
            .store
            .credit_applications(tenant_id, company_id)
            .await?)
    }
}
