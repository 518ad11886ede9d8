//! Companies, tax rates, services, contracts and contract services; the client list import.

use serde::{Deserialize, Serialize};
use unitbill_domain::usage::FieldError;
use unitbill_engine::{import, setup};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxRateInput {
    pub name: String,
    /// Percent as a decimal string: "4" is 4%.
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub percent: String,
}

/// A company as an admin enters it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: Option<String>,
    #[schema(schema_with = super::schema::company_status)]
    pub status: Option<String>,
    #[schema(schema_with = super::schema::currency)]
    pub currency: Option<String>,
    /// Names of tenant tax rates; `[]` = exempt.
    pub tax_rates: Option<Vec<String>>,
    #[schema(minimum = 0)]
    pub payment_terms_days: Option<i64>,
    /// Id of the company whose invoice carries this one's lines; `0` clears it.
    #[schema(minimum = 0)]
    pub bill_to: Option<i64>,
    pub external_ref: Option<String>,
}

impl From<CompanyInput> for setup::CompanyInput {
    fn from(i: CompanyInput) -> Self {
        setup::CompanyInput {
            name: i.name,
            status: i.status,
            currency: i.currency,
            tax_rates: i.tax_rates,
            payment_terms_days: i.payment_terms_days,
            bill_to: i.bill_to,
            external_ref: i.external_ref,
        }
    }
}

/// A service of the catalog.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceInput {
    pub name: String,
    /// Default unit price (a decimal string, e.g. "4.50").
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub unit_price: String,
    #[serde(default)]
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub unit_cost: Option<String>,
    #[serde(default = "yes")]
    pub taxable: bool,
    /// What invoices print; defaults to the name.
    #[serde(default)]
    pub description: Option<String>,
}

fn yes() -> bool {
    true
}

impl From<ServiceInput> for setup::ServiceInput {
    fn from(i: ServiceInput) -> Self {
        setup::ServiceInput {
            name: i.name,
            unit_price: i.unit_price,
            unit_cost: i.unit_cost,
            taxable: i.taxable,
            description: i.description,
        }
    }
}

/// A recurring service contract.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    #[schema(minimum = 1)]
    pub company_id: Option<i64>,
    pub name: Option<String>,
    #[schema(schema_with = super::schema::optional_date)]
    pub start_date: Option<String>,
    /// `""` clears the end date.
    #[schema(pattern = "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$")]
    pub end_date: Option<String>,
    /// `arrears` (default) or `advance`.
    #[schema(schema_with = super::schema::timing)]
    pub timing: Option<String>,
    pub purchase_order: Option<String>,
    /// Only `monthly` is supported (integrated billing needs monthly contracts).
    #[schema(schema_with = super::schema::contract_period)]
    pub period: Option<String>,
}

impl From<ContractInput> for setup::ContractInput {
    fn from(i: ContractInput) -> Self {
        setup::ContractInput {
            company_id: i.company_id,
            name: i.name,
            start_date: i.start_date,
            end_date: i.end_date,
            timing: i.timing,
            purchase_order: i.purchase_order,
            period: i.period,
        }
    }
}

/// A service added to a contract, or a change of its terms.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractServiceInput {
    #[schema(minimum = 1)]
    pub service_id: Option<i64>,
    pub description: Option<String>,
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub unit_price: Option<String>,
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub unit_cost: Option<String>,
    /// `prorated` (default), `end_of_period` or `peak`.
    #[schema(schema_with = super::schema::change_rule)]
    pub rule: Option<String>,
    /// Daily units of a fixed service (one with no mapping).
    #[schema(pattern = "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")]
    pub fixed_units: Option<String>,
    /// The first day of a period; default: the first day of the open period.
    #[schema(schema_with = super::schema::optional_date)]
    pub effective_from: Option<String>,
}

impl From<ContractServiceInput> for setup::ContractServiceInput {
    fn from(i: ContractServiceInput) -> Self {
        setup::ContractServiceInput {
            service_id: i.service_id,
            description: i.description,
            unit_price: i.unit_price,
            unit_cost: i.unit_cost,
            rule: i.rule,
            fixed_units: i.fixed_units,
            effective_from: i.effective_from,
        }
    }
}

/// What happened (or would happen) to one row.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportRow {
    /// 1-based line in the file, the header being line 1.
    pub line: usize,
    pub name: String,
    /// create, update, unchanged or error.
    pub action: String,
    /// Fields that change on an update.
    pub changes: Vec<String>,
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<FieldError>,
}

impl From<import::ImportRow> for ImportRow {
    fn from(r: import::ImportRow) -> Self {
        ImportRow {
            line: r.line,
            name: r.name,
            action: r.action,
            changes: r.changes,
            errors: r.errors,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// False when any row has errors: then nothing was written.
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: usize,
    pub rows: Vec<ImportRow>,
}

impl From<import::ImportReport> for ImportReport {
    fn from(r: import::ImportReport) -> Self {
        ImportReport {
            dry_run: r.dry_run,
            applied: r.applied,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            errors: r.errors,
            rows: r.rows.into_iter().map(Into::into).collect(),
        }
    }
}
