//! Invoice runs, documents, posting, credit notes, payments, one-offs and aging.

use serde::{Deserialize, Serialize};
use unitbill_engine::invoicing;
use unitbill_store::{DocumentRecord, UnitRow, UnitSourceRow};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// The period the run closes, `YYYY-MM`.
    #[schema(pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub period: String,
    /// Post the drafts at once (refused before the first day after the period).
    #[serde(default)]
    pub post: bool,
}

/// What a run did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RunReport {
    pub period: String,
    pub billing_start: String,
    #[schema(value_type = Vec<Object>)]
    pub documents: Vec<DocumentRecord>,
    /// Contract services that could not be billed, with why.
    pub problems: Vec<String>,
    /// Companies skipped because they already have a posted or voided document for the period.
    pub skipped_companies: Vec<i64>,
    pub posted: usize,
}

impl From<invoicing::RunReport> for RunReport {
    fn from(r: invoicing::RunReport) -> Self {
        RunReport {
            period: r.period,
            billing_start: r.billing_start,
            documents: r.documents,
            problems: r.problems,
            skipped_companies: r.skipped_companies,
            posted: r.posted,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OpenPeriod {
    /// None before the first run: changes then count from the start of history.
    pub period: Option<String>,
    pub default_effective_date: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillingStartInput {
    #[schema(pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub billing_start: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    pub ids: Vec<i64>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// Decimal string, e.g. "120.50".
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub amount: String,
    /// Default: today in the tenant's time zone.
    #[schema(schema_with = super::schema::optional_date)]
    pub paid_on: Option<String>,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub reference: String,
}

impl From<PaymentInput> for invoicing::PaymentInput {
    fn from(i: PaymentInput) -> Self {
        invoicing::PaymentInput {
            amount: i.amount,
            paid_on: i.paid_on,
            method: i.method,
            reference: i.reference,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ApplyCreditInput {
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub amount: Option<String>,
}

/// The days and module orgs behind one line.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LineExplanation {
    pub contract_service_id: i64,
    pub period: String,
    #[schema(value_type = Vec<Object>)]
    pub days: Vec<UnitRow>,
    #[schema(value_type = Vec<Object>)]
    pub sources: Vec<UnitSourceRow>,
}

impl From<invoicing::LineExplanation> for LineExplanation {
    fn from(e: invoicing::LineExplanation) -> Self {
        LineExplanation {
            contract_service_id: e.contract_service_id,
            period: e.period,
            days: e.days,
            sources: e.sources,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodwillInput {
    #[schema(minimum = 1)]
    pub company_id: i64,
    #[schema(pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub period: Option<String>,
    pub lines: Vec<GoodwillLine>,
}

/// A goodwill credit line: an amount given back.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoodwillLine {
    pub description: String,
    /// Positive amount given back, e.g. "25.00".
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub amount: String,
    #[serde(default)]
    pub taxable: bool,
}

impl From<GoodwillLine> for invoicing::GoodwillLine {
    fn from(l: GoodwillLine) -> Self {
        invoicing::GoodwillLine {
            description: l.description,
            amount: l.amount,
            taxable: l.taxable,
        }
    }
}

/// A one-off charge (positive price) or credit (negative price) for a company's invoice of the
/// run closing `period`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OneOffInput {
    #[schema(minimum = 1)]
    pub company_id: i64,
    /// `YYYY-MM`: the period whose run carries the line.
    #[schema(pattern = "^(19|2[0-9])[0-9]{2}-(0[1-9]|1[0-2])$")]
    pub period: String,
    pub description: String,
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub quantity: String,
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub unit_price: String,
    #[serde(default)]
    pub taxable: bool,
}

impl From<OneOffInput> for invoicing::OneOffInput {
    fn from(i: OneOffInput) -> Self {
        invoicing::OneOffInput {
            company_id: i.company_id,
            period: i.period,
            description: i.description,
            quantity: i.quantity,
            unit_price: i.unit_price,
            taxable: i.taxable,
        }
    }
}

/// Open receivables of one company by age.
#[derive(Serialize, utoipa::ToSchema)]
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

impl From<invoicing::AgingRow> for AgingRow {
    fn from(r: invoicing::AgingRow) -> Self {
        AgingRow {
            company_id: r.company_id,
            current: r.current,
            days_1_30: r.days_1_30,
            days_31_60: r.days_31_60,
            days_61_90: r.days_61_90,
            over_90: r.over_90,
            total: r.total,
            credit_balance: r.credit_balance,
        }
    }
}
