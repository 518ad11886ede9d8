//! Invoicing: the run that closes a period, posting, credit notes, payments and credit.
//!
//! The amounts come from `unitbill_domain::billing` (pure); this module gathers its inputs
//! from the store (unit history, what was billed, one-offs), enforces the order of runs, and
//! stores the drafts and documents.

mod payments;
mod run;

pub use payments::{AgingRow, PaymentInput};
pub use run::{LineExplanation, RunReport};

use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::billing::{DocumentKind, DraftDocument};
use unitbill_domain::invoice::{LineKind, PricedLine, TaxRate, document_totals};
use unitbill_domain::money::Currency;
use unitbill_domain::period::Period;
use unitbill_store::{DocumentLineRecord, DocumentRecord};

use crate::tenants::tenant_today;
use crate::{Engine, EngineError, EngineResult};

pub(crate) fn kind_text(k: LineKind) -> String {
    k.as_str().to_owned()
}

/// A draft of the run as the store keeps it.
pub(crate) fn record_of(d: &DraftDocument) -> DocumentRecord {
    let (kind, reason) = match d.kind {
        DocumentKind::Invoice => ("invoice", None),
        DocumentKind::CreditNote => ("credit_note", Some("run".to_owned())),
    };
    DocumentRecord {
        id: 0,
        period: d.period.to_string(),
        company_id: d.company_id,
        kind: kind.into(),
        credit_reason: reason,
        status: "draft".into(),
        number: None,
        currency: d.currency.code().into(),
        issue_date: d.issue_date,
        due_date: d.due_date,
        subtotal: d.totals.subtotal,
        tax_total: d.currency.round(d.totals.tax_total()),
        total: d.totals.total,
        taxes: d.totals.taxes.clone(),
        purchase_orders: d.purchase_orders.clone(),
        voids_document_id: None,
        posted_at: None,
        lines: d
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| DocumentLineRecord {
                line_no: i as i64 + 1,
                company_id: l.company_id,
                for_child: l.for_child.clone(),
                contract_service_id: l.contract_service,
                service_id: l.service_id,
                contract_id: l.contract_id,
                period: l.period.to_string(),
                kind: kind_text(l.kind),
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: l.amount,
                taxable: l.taxable,
                tax_rates: l.tax_rates.clone(),
                stale: l.stale,
            })
            .collect(),
    }
}

fn priced(l: &DocumentLineRecord) -> EngineResult<PricedLine> {
    Ok(PricedLine {
        kind: l
            .kind
            .parse()
            .map_err(|_| EngineError::Conflict(format!("stored line kind {:?}", l.kind)))?,
        quantity: l.quantity,
        unit_price: l.unit_price,
        amount: l.amount,
        taxable: l.taxable,
        tax_rates: l.tax_rates.clone(),
    })
}

/// A goodwill credit line: an amount given back.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct GoodwillLine {
    pub description: String,
    /// Positive amount given back, e.g. "25.00".
    pub amount: String,
    #[serde(default)]
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
        // transaction: one that cannot be posted refuses them all.
        for id in ids {
            let doc = self.store.document(tenant_id, *id).await?;
            let period =
                Period::parse(&doc.period).map_err(|e| EngineError::Conflict(e.to_string()))?;
            if today <= period.last_day() {
                return Err(EngineError::Conflict(format!(
                    "documents of {period} can be posted from {} (tenant time); today is {today}",
                    period.next().first_day()
                )));
            }
            if doc.status != "draft" {
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
        if invoice.kind != "invoice" || invoice.status == "draft" || invoice.status == "void" {
            return Err(EngineError::Conflict(format!(
                "only a posted invoice can be voided ({} is a {} {})",
                invoice.number.as_deref().unwrap_or("draft"),
                invoice.status,
                invoice.kind
            )));
        }
        // A credit note states as positive amounts what it takes back: each of its lines is
        // the negation of the invoice-style line "minus the invoiced line", i.e. the invoiced
        // line itself, so its totals equal the invoice's exactly.
        let lines = invoice.lines.clone();
        let today = tenant_today(self, &self.store.tenant(tenant_id).await?)?;
        let note = self.credit_note(
            &invoice.currency,
            invoice.company_id,
            &invoice.period,
            today,
            "void",
            Some(id),
            lines,
        )?;
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
            Some(p) => Period::parse(p).map_err(|e| EngineError::field("period", e.to_string()))?,
            None => Period::of(today),
        };
        if lines.is_empty() {
            return Err(EngineError::field("lines", "give at least one line"));
        }
        let mut records = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            let amount = unitbill_domain::money::parse_amount(l.amount.trim())
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
                kind: kind_text(LineKind::OneOff),
                description: l.description.trim().to_owned(),
                quantity: Decimal::ONE,
                unit_price: amount,
                amount,
                taxable: l.taxable,
                tax_rates: rates,
                stale: false,
            });
        }
        let note = self.credit_note(
            company.currency.code(),
            company_id,
            &period.to_string(),
            today,
            "goodwill",
            None,
            records,
        )?;
        Ok(self
            .store
            .insert_posted_credit_note(tenant_id, &note, &self.now_text())
            .await?)
    }

    #[allow(clippy::too_many_arguments)]
    fn credit_note(
        &self,
        currency: &str,
        company_id: i64,
        period: &str,
        issue_date: Date,
        reason: &str,
        voids: Option<i64>,
        lines: Vec<DocumentLineRecord>,
    ) -> EngineResult<DocumentRecord> {
        let cur = Currency::parse(currency).map_err(|e| EngineError::Conflict(e.to_string()))?;
        let priced_lines = lines.iter().map(priced).collect::<EngineResult<Vec<_>>>()?;
        let totals = document_totals(&priced_lines, cur);
        Ok(DocumentRecord {
            id: 0,
            period: period.to_owned(),
            company_id,
            kind: "credit_note".into(),
            credit_reason: Some(reason.to_owned()),
            status: "draft".into(),
            number: None,
            currency: currency.to_owned(),
            issue_date,
            due_date: None,
            subtotal: totals.subtotal,
            tax_total: totals.tax_total(),
            total: totals.total,
            taxes: totals.taxes,
            purchase_orders: Vec::new(),
            voids_document_id: voids,
            posted_at: None,
            lines,
        })
    }
}

/// A one-off charge (positive price) or credit (negative price) for a company's invoice of the
/// run closing `period`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct OneOffInput {
    pub company_id: i64,
    /// `YYYY-MM`: the period whose run carries the line.
    pub period: String,
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    #[serde(default)]
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
        let period = Period::parse(input.period.trim());
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
        if docs.iter().any(|d| d.status != "draft") {
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
        let p = Period::parse(period.trim())
            .map_err(|e| EngineError::field("billing_start", e.to_string()))?;
        if self
            .store
            .documents(tenant_id, None, None)
            .await?
            .iter()
            .any(|d| d.status != "draft")
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
