//! Payments, the credit balance, and accounts-receivable aging.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;
use unitbill_domain::document::DocumentStatus;
use unitbill_domain::ledger;
use unitbill_domain::money::{Currency, parse_money};
use unitbill_store::{DocumentRecord, NewPayment, PaymentRecord};

use crate::ingest::parse_date;
use crate::tenants::tenant_today;
use crate::{Engine, EngineError, EngineResult};

#[derive(Debug, Clone)]
pub struct PaymentInput {
    /// Decimal string, e.g. "120.50".
    pub amount: String,
    /// Default: today in the tenant's time zone.
    pub paid_on: Option<String>,
    pub method: String,
    pub reference: String,
}

/// Open receivables of one company by age.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AgingRow {
    pub company_id: i64,
    pub current: String,
    pub days_1_30: String,
    pub days_31_60: String,
    pub days_61_90: String,
    pub over_90: String,
    pub total: String,
    pub credit_balance: String,
}

impl Engine {
    /// What is still owed on a posted invoice.
    async fn open_amount(&self, tenant_id: i64, doc: &DocumentRecord) -> EngineResult<Decimal> {
        let paid: Decimal = self
            .store
            .payments(tenant_id, Some(doc.company_id))
            .await?
            .iter()
            .filter(|p| p.document_id == Some(doc.id))
            .map(|p| p.applied)
            .sum();
        let credited: Decimal = self
            .store
            .credit_applications(tenant_id, Some(doc.company_id))
            .await?
            .iter()
            .filter(|a| a.document_id == doc.id)
            .map(|a| a.amount)
            .sum();
        Ok(doc.open_amount(paid, credited))
    }

    /// Records a payment against one invoice; what exceeds its open amount (all of it on a
    /// voided invoice) becomes the company's credit balance.
    pub async fn record_payment(
        &self,
        tenant_id: i64,
        document_id: i64,
        input: &PaymentInput,
    ) -> EngineResult<PaymentRecord> {
        let doc = self.store.document(tenant_id, document_id).await?;
        if !doc.can_receive_payment() {
            return Err(EngineError::Conflict(
                "payments are recorded against posted invoices".into(),
            ));
        }
        let currency =
            Currency::parse(&doc.currency).map_err(|e| EngineError::Conflict(e.to_string()))?;
        let amount = parse_money(input.amount.trim(), &currency)
            .map_err(|e| EngineError::field("amount", e.to_string()))?;
        if amount <= Decimal::ZERO {
            return Err(EngineError::field("amount", "must be positive"));
        }
        let paid_on = match &input.paid_on {
            Some(d) => parse_date("paid_on", d)?,
            None => tenant_today(self, &self.store.tenant(tenant_id).await?)?,
        };
        // What is open, the part applied and the new status are decided in one transaction
        // with the invoice locked: concurrent payments cannot both settle the same amount.
        let payment = self
            .store
            .record_payment(
                tenant_id,
                &NewPayment {
                    document_id: doc.id,
                    amount,
                    paid_on,
                    method: input.method.trim().to_owned(),
                    reference: input.reference.trim().to_owned(),
                },
                &self.now_text(),
            )
            .await?;
        Ok(payment)
    }

    /// The company's credit balance: overpayments, payments on voided invoices, run and
    /// goodwill credit notes, less credit already applied.
    pub async fn credit_balance(&self, tenant_id: i64, company_id: i64) -> EngineResult<Decimal> {
        let docs = self
            .store
            .documents(tenant_id, None, Some(company_id))
            .await?;
        let void: Vec<i64> = docs
            .iter()
            .filter(|d| d.status == DocumentStatus::Void)
            .map(|d| d.id)
            .collect();
        let payments: Vec<ledger::PaymentEntry> = self
            .store
            .payments(tenant_id, Some(company_id))
            .await?
            .iter()
            .map(|p| ledger::PaymentEntry {
                amount: p.amount,
                applied: p.applied,
                on_voided_invoice: p.document_id.is_some_and(|d| void.contains(&d)),
            })
            .collect();
        let notes: Decimal = docs
            .iter()
            .filter(|d| d.is_credit_balance())
            .map(|d| d.total)
            .sum();
        let applied: Decimal = self
            .store
            .credit_applications(tenant_id, Some(company_id))
            .await?
            .iter()
            .map(|a| a.amount)
            .sum();
        Ok(ledger::credit_balance(&payments, notes, applied))
    }

    /// Applies credit balance to an invoice (all that fits, or `amount`).
    pub async fn apply_credit(
        &self,
        tenant_id: i64,
        document_id: i64,
        amount: Option<&str>,
    ) -> EngineResult<Decimal> {
        let doc = self.store.document(tenant_id, document_id).await?;
        if !doc.can_apply_credit() {
            return Err(EngineError::Conflict(
                "credit is applied to posted invoices".into(),
            ));
        }
        let wanted = match amount {
            Some(a) => {
                let currency = Currency::parse(&doc.currency)
                    .map_err(|e| EngineError::Conflict(e.to_string()))?;
                Some(
                    parse_money(a.trim(), &currency)
                        .map_err(|e| EngineError::field("amount", e.to_string()))?,
                )
            }
            None => None,
        };
        if let Some(w) = wanted {
            self.check_credit_wanted(tenant_id, &doc, w).await?;
        }
        let apply = self
            .store
            .apply_credit(tenant_id, doc.id, wanted, &self.now_text())
            .await?;
        Ok(apply)
    }

    /// An amount of credit asked for is positive and no more than the company's credit
    /// balance or the invoice's open amount: more is refused, not silently cut down. (The
    /// store checks it again with the invoice locked.)
    async fn check_credit_wanted(
        &self,
        tenant_id: i64,
        doc: &DocumentRecord,
        wanted: Decimal,
    ) -> EngineResult<()> {
        if wanted <= Decimal::ZERO {
            return Err(EngineError::field("amount", "must be positive"));
        }
        let balance = self.credit_balance(tenant_id, doc.company_id).await?;
        if wanted > balance {
            return Err(EngineError::field(
                "amount",
                format!("{wanted} is more than the company's credit balance ({balance})"),
            ));
        }
        let open = self.open_amount(tenant_id, doc).await?;
        if wanted > open {
            return Err(EngineError::field(
                "amount",
                format!("{wanted} is more than the invoice's open amount ({open})"),
            ));
        }
        Ok(())
    }

    /// Open receivables by company and age (days past the due date), as of `today`.
    pub async fn aging(&self, tenant_id: i64, today: Option<Date>) -> EngineResult<Vec<AgingRow>> {
        let today = match today {
            Some(d) => d,
            None => tenant_today(self, &self.store.tenant(tenant_id).await?)?,
        };
        let mut rows: std::collections::BTreeMap<i64, [Decimal; 5]> = Default::default();
        for doc in self.store.documents(tenant_id, None, None).await? {
            if !doc.is_open_receivable() {
                continue;
            }
            let open = self.open_amount(tenant_id, &doc).await?;
            if open <= Decimal::ZERO {
                continue;
            }
            let late = doc
                .due_date
                .map_or(0, |due| (today - due).get_days().max(0));
            let bucket = match late {
                0 => 0,
                1..=30 => 1,
                31..=60 => 2,
                61..=90 => 3,
                _ => 4,
            };
            rows.entry(doc.company_id).or_default()[bucket] += open;
        }
        let mut out = Vec::new();
        for (company_id, b) in rows {
            out.push(AgingRow {
                company_id,
                current: b[0].to_string(),
                days_1_30: b[1].to_string(),
                days_31_60: b[2].to_string(),
                days_61_90: b[3].to_string(),
                over_90: b[4].to_string(),
                total: b.iter().copied().sum::<Decimal>().to_string(),
                credit_balance: self
                    .credit_balance(tenant_id, company_id)
                    .await?
                    .to_string(),
            });
        }
        Ok(out)
    }
}
