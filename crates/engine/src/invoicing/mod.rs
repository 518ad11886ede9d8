//! Invoicing: the run that closes a period, posting, credit notes, payments and credit.
//!
//! The amounts come from `unitbill_domain::billing` (pure); this module gathers its inputs
//! from the store (unit history, what was billed, one-offs), enforces the order of runs, and
//! stores the drafts and documents.

mod payments;
mod run;

pub use payments::{AgingRow, PaymentInput};
pub use run::{LineExplanation, RunReport};

use std::collections::HashMap;

use rust_decimal::Decimal;
use unitbill_domain::document::{CreditReason, Document};
use unitbill_domain::invoice::{LineKind, TaxRate};
use unitbill_domain::money::Currency;
use unitbill_domain::period::Period;
use unitbill_store::{DocumentLineRecord, DocumentRecord};

use crate::tenants::tenant_today;
use crate::{Engine, EngineError, EngineResult};

/// A stored document's currency.
fn stored_currency(code: &str) -> EngineResult<Currency> {
    Currency::parse(code).map_err(|e| EngineError::Conflict(e.to_string()))
}

/// A goodwill credit line: an amount given back.
#[derive(Debug, Clone)]
pub struct GoodwillLine {
    pub description: String,
    /// Positive amount given back, e.g. "25.00".
    pub amount: String,
    pub taxable: bool,
}

impl Engine {
    /// Posts drafts: each gets the next number of its sequence. Refused before the first day
    /// after the document's period in the tenant's time zone.
    pub async fn post_documents(
        &self,
        tenant_id: i64,
        ids: &[i64],
    ) -> EngineResult<Vec<DocumentRecord>> {
        let tenant = self.store.tenant(tenant_id).await?;
        let today = tenant_today(self, &tenant)?;
        // Every document is checked before any is posted, and the list posts in one
        // transaction: one that cannot be posted refuses them all. The headers are read in
        // one query (the checks need no lines); the store checks again under its locks.
        let docs: HashMap<i64, DocumentRecord> = self
            .store
            .document_headers(tenant_id, ids)
            .await?
            .into_iter()
            .map(|d| (d.id, d))
            .collect();
        for id in ids {
            let doc = docs
                .get(id)
                .ok_or_else(|| EngineError::NotFound(format!("document {id}")))?;
            let period =
                Period::parse(&doc.period).map_err(|e| EngineError::Conflict(e.to_string()))?;
            if today <= period.last_day() {
                return Err(EngineError::Conflict(format!(
                    "documents of {period} can be posted from {} (tenant time); today is {today}",
                    period.next().first_day()
                )));
            }
            if !doc.can_post() {
                return Err(EngineError::Conflict(format!(
                    "document {id} is {}, not a draft",
                    doc.status
                )));
            }
        }
        let posted = self
            .store
            .post_documents(tenant_id, ids, &self.now_text())
            .await?;
        Ok(posted)
    }

    /// Voids a posted invoice with a credit note that takes back every line; the next run bills
    /// what is due for those periods.
    pub async fn void_invoice(&self, tenant_id: i64, id: i64) -> EngineResult<DocumentRecord> {
        let invoice = self.store.document(tenant_id, id).await?;
        let refused = || {
            EngineError::Conflict(format!(
                "only a posted invoice can be voided ({} is a {} {})",
                invoice.number.as_deref().unwrap_or("draft"),
                invoice.status,
                invoice.kind
            ))
        };
        if !invoice.can_void() {
            return Err(refused());
        }
        let currency = stored_currency(&invoice.currency)?;
        let today = tenant_today(self, &self.store.tenant(tenant_id).await?)?;
        let note = invoice.void_note(currency, today).ok_or_else(refused)?;
        Ok(self
            .store
            .insert_posted_credit_note(tenant_id, &note, &self.now_text())
            .await?)
    }

    /// Gives chosen amounts back to a company; never re-billed by later runs.
    pub async fn goodwill_credit(
        &self,
        tenant_id: i64,
        company_id: i64,
        period: Option<&str>,
        lines: &[GoodwillLine],
    ) -> EngineResult<DocumentRecord> {
        let setup = self.load_setup(tenant_id).await?;
        let company = setup.companies.get(&company_id).ok_or_else(|| {
            EngineError::field("company_id", format!("company {company_id} does not exist"))
        })?;
        let tenant = self.store.tenant(tenant_id).await?;
        let today = tenant_today(self, &tenant)?;
        let period = match period {
            Some(p) => {
                Period::parse_billing(p).map_err(|e| EngineError::field("period", e.to_string()))?
            }
            None => Period::of(today),
        };
        if lines.is_empty() {
            return Err(EngineError::field("lines", "give at least one line"));
        }
        let mut records = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let amount = unitbill_domain::money::parse_money(l.amount.trim(), &company.currency)
                .map_err(|e| EngineError::field(format!("lines[{i}].amount"), e.to_string()))?;
            if amount <= Decimal::ZERO {
                return Err(EngineError::field(
                    format!("lines[{i}].amount"),
                    "must be positive: it is what is given back",
                ));
            }
            if l.description.trim().is_empty() {
                return Err(EngineError::field(
                    format!("lines[{i}].description"),
                    "must not be empty",
                ));
            }
            let amount = company.currency.round(amount);
            let rates: Vec<TaxRate> = if l.taxable {
                company.tax_rates.clone()
            } else {
                Vec::new()
            };
            records.push(DocumentLineRecord {
                line_no: i as i64 + 1,
                company_id,
                for_child: None,
                contract_service_id: None,
                service_id: None,
                contract_id: None,
                period: period.to_string(),
                kind: LineKind::OneOff,
                description: l.description.trim().to_owned(),
                quantity: Decimal::ONE,
                unit_price: amount,
                amount,
                taxable: l.taxable,
                tax_rates: rates,
                stale: false,
            });
        }
        let note = Document::credit_note(
            company.currency,
            company_id,
            &period.to_string(),
            today,
            CreditReason::Goodwill,
            None,
            records,
        );
        Ok(self
            .store
            .insert_posted_credit_note(tenant_id, &note, &self.now_text())
            .await?)
    }
}

/// A one-off charge (positive price) or credit (negative price) for a company's invoice of the
/// run closing `period`.
#[derive(Debug, Clone)]
pub struct OneOffInput {
    pub company_id: i64,
    /// `YYYY-MM`: the period whose run carries the line.
    pub period: String,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub taxable: bool,
}

impl Engine {
    pub async fn add_one_off(
        &self,
        tenant_id: i64,
        input: &OneOffInput,
    ) -> EngineResult<unitbill_store::OneOffRecord> {
        let mut p = crate::setup::Problems::default();
        if !self
            .store
            .companies(tenant_id)
            .await?
            .iter()
            .any(|c| c.id == input.company_id)
        {
            p.add(
                "company_id",
                format!("company {} does not exist", input.company_id),
            );
        }
        let period = Period::parse_billing(input.period.trim());
        if period.is_err() {
            p.add("period", "must be a month YYYY-MM");
        }
        if input.description.trim().is_empty() {
            p.add("description", "must not be empty");
        }
        let quantity = unitbill_domain::money::parse_amount(input.quantity.trim());
        if quantity.is_err() {
            p.add("quantity", "must be a decimal number");
        }
        let unit_price = unitbill_domain::money::parse_amount(input.unit_price.trim());
        if unit_price.is_err() {
            p.add("unit_price", "must be a decimal number");
        }
        p.finish()?;
        let period = period.expect("checked");
        let docs = self
            .store
            .documents(tenant_id, Some(&period.to_string()), Some(input.company_id))
            .await?;
        // A goodwill credit note of the period does not close it (DESIGN.md, Invoicing):
        // the company's run still makes its invoice, so the line can still go on it.
        if docs.iter().any(|d| d.closes_company_period()) {
            return Err(EngineError::Conflict(format!(
                "the company's document for {period} is already posted: add the line to a later period"
            )));
        }
        Ok(self
            .store
            .add_one_off(
                tenant_id,
                &unitbill_store::OneOffRecord {
                    id: 0,
                    company_id: input.company_id,
                    period: period.to_string(),
                    description: input.description.trim().to_owned(),
                    quantity: quantity.expect("checked"),
                    unit_price: unit_price.expect("checked"),
                    taxable: input.taxable,
                },
                &self.now_text(),
            )
            .await?)
    }

    /// Changes the billing start before anything is posted.
    pub async fn set_billing_start(&self, tenant_id: i64, period: &str) -> EngineResult<()> {
        let p = Period::parse_billing(period.trim())
            .map_err(|e| EngineError::field("billing_start", e.to_string()))?;
        if self
            .store
            .documents(tenant_id, None, None)
            .await?
            .iter()
            .any(|d| d.status.is_posted())
        {
            return Err(EngineError::Conflict(
                "the billing start is fixed once a document is posted".into(),
            ));
        }
        self.store
            .set_billing_start(tenant_id, Some(&p.to_string()))
            .await?;
        Ok(())
    }
}
