//! Companies, services, contracts, contract services and the mapping logs.

use jiff::civil::Date;
use rust_decimal::Decimal;
use unitbill_domain::invoice::TaxRate;
use unitbill_domain::rules::{ChangeRule, ContractDays, Timing};
use unitbill_domain::setup::{CompanyStatus, OrgAssignment, ServiceTerms};

use crate::sql::{conflict, date_text, sql_backend};
use crate::{
    Changed, CompanyImport, CompanyRecord, ContractRecord, ContractServiceRecord,
    ModuleBillingChange, OrgMappingChange, ServiceMappingChange, ServiceRecord, SetupStore,
    StoreError, StoreResult, TermsChange,
};

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value:?}"))
}

fn dec(s: &str) -> StoreResult<Decimal> {
    s.parse().map_err(|_| corrupt("decimal", s))
}

fn day(s: &str) -> StoreResult<Date> {
    s.parse().map_err(|_| corrupt("date", s))
}

type CompanyRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
);

fn company(r: CompanyRow) -> StoreResult<CompanyRecord> {
    Ok(CompanyRecord {
        id: r.0,
        name: r.1,
        status: CompanyStatus::parse(&r.2).ok_or_else(|| corrupt("status", &r.2))?,
        currency: r.3,
        tax_rates: serde_json::from_str(&r.4).map_err(|_| corrupt("tax rates", &r.4))?,
        payment_terms_days: r.5,
        bill_to_id: r.6,
        external_ref: r.7,
    })
}

type ContractRow = (
    i64,
    i64,
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
);

fn contract(r: ContractRow) -> StoreResult<ContractRecord> {
    Ok(ContractRecord {
        id: r.0,
        company_id: r.1,
        name: r.2,
        start_date: day(&r.3)?,
        end_date: r.4.as_deref().map(day).transpose()?,
        timing: r.5.parse::<Timing>().map_err(|_| corrupt("timing", &r.5))?,
        currency: r.6,
        purchase_order: r.7,
    })
}

fn assignment_columns(a: &OrgAssignment) -> (&'static str, Option<i64>) {
    match a {
        OrgAssignment::Mapped(c) => ("mapped", Some(*c)),
        OrgAssignment::Ignored => ("ignored", None),
        OrgAssignment::Unmapped => ("unmapped", None),
    }
}

sql_backend! {
    impl SetupStore {
        async fn set_billing_start(&self, tenant_id: i64, period: Option<&str>) -> StoreResult<()> {
            sqlx::query("UPDATE tenants SET billing_start = $2 WHERE id = $1").bind(tenant_id).bind(period).execute(&self.pool).await?;
            Ok(())
        }

        async fn put_tax_rate(&self, tenant_id: i64, rate: &TaxRate) -> StoreResult<()> {
            sqlx::query(
                "INSERT INTO tax_rates (tenant_id, name, percent) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id, name) DO UPDATE SET percent = excluded.percent",
            )
            .bind(tenant_id)
            .bind(rate.name.as_str())
            .bind(rate.percent.to_string())
            .execute(&self.pool)
            .await?;
            Ok(())
        }

        async fn tax_rates(&self, tenant_id: i64) -> StoreResult<Vec<TaxRate>> {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT name, percent FROM tax_rates WHERE tenant_id = $1 ORDER BY name").bind(tenant_id).fetch_all(&self.pool).await?;
            rows.into_iter().map(|(name, p)| Ok(TaxRate { name, percent: dec(&p)? })).collect()
        }

        async fn save_company(&self, tenant_id: i64, c: &CompanyRecord, now: &str) -> StoreResult<CompanyRecord> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let saved = Self::save_company_in(&mut tx, tenant_id, c, now).await?;
            tx.commit().await?;
            Ok(saved)
        }

        async fn import_companies(&self, tenant_id: i64, rows: &[CompanyImport], now: &str) -> StoreResult<Vec<CompanyRecord>> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let existing: Vec<(i64, String)> = sqlx::query_as("SELECT id, name FROM companies WHERE tenant_id = $1")
                .bind(tenant_id)
                .fetch_all(&mut *tx)
                .await?;
            let mut ids: std::collections::HashMap<String, i64> =
                existing.into_iter().map(|(id, name)| (name.to_lowercase(), id)).collect();
            let mut saved = Vec::with_capacity(rows.len());
            for row in rows {
                let mut c = row.company.clone();
                if let Some(parent) = &row.bill_to_name {
                    let id = ids
                        .get(&parent.to_lowercase())
                        .copied()
                        .ok_or_else(|| StoreError::NotFound(format!("bill-to parent {parent:?}")))?;
                    c.bill_to_id = Some(id);
                }
                let s = Self::save_company_in(&mut tx, tenant_id, &c, now).await?;
                ids.insert(s.name.to_lowercase(), s.id);
                saved.push(s);
            }
            tx.commit().await?;
            Ok(saved)
        }

        async fn companies(&self, tenant_id: i64) -> StoreResult<Vec<CompanyRecord>> {
            let rows: Vec<CompanyRow> = sqlx::query_as(
                "SELECT id, name, status, currency, tax_rates, payment_terms_days, bill_to_id, external_ref FROM companies \
                 WHERE tenant_id = $1 ORDER BY name",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(company).collect()
        }

        async fn create_service(&self, tenant_id: i64, s: &ServiceRecord) -> StoreResult<ServiceRecord> {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO services (tenant_id, name, unit_price, unit_cost, taxable, description) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(tenant_id)
            .bind(s.name.as_str())
            .bind(s.unit_price.to_string())
            .bind(s.unit_cost.to_string())
            .bind(s.taxable)
            .bind(s.description.as_str())
            .fetch_one(&self.pool)
            .await
            .map_err(conflict(format!("service named {:?}", s.name)))?;
            Ok(ServiceRecord { id, ..s.clone() })
        }

        async fn services(&self, tenant_id: i64) -> StoreResult<Vec<ServiceRecord>> {
            let rows: Vec<(i64, String, String, String, bool, String)> = sqlx::query_as(
                "SELECT id, name, unit_price, unit_cost, taxable, description FROM services WHERE tenant_id = $1 ORDER BY name",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| Ok(ServiceRecord { id: r.0, name: r.1, unit_price: dec(&r.2)?, unit_cost: dec(&r.3)?, taxable: r.4, description: r.5 }))
                .collect()
        }

        async fn save_contract(&self, tenant_id: i64, c: &ContractRecord, now: &str) -> StoreResult<ContractRecord> {
            let row: Option<ContractRow> = if c.id == 0 {
                sqlx::query_as(
                    "INSERT INTO contracts (tenant_id, company_id, name, start_date, end_date, timing, currency, purchase_order, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                     RETURNING id, company_id, name, start_date, end_date, timing, currency, purchase_order",
                )
                .bind(tenant_id)
                .bind(c.company_id)
                .bind(c.name.as_str())
                .bind(date_text(c.start_date))
                .bind(c.end_date.map(date_text))
                .bind(c.timing.as_str())
                .bind(c.currency.as_str())
                .bind(c.purchase_order.clone())
                .bind(now)
                .fetch_optional(&self.pool)
                .await?
            } else {
                let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
                let sql = format!("SELECT start_date, end_date FROM contracts WHERE tenant_id = $1 AND id = $2{}", DB::FOR_UPDATE);
                let before: Option<(String, Option<String>)> =
                    sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant_id).bind(c.id).fetch_optional(&mut *tx).await?;
                let (start, end) = before.ok_or_else(|| StoreError::NotFound(format!("contract {}", c.id)))?;
                let old_days = ContractDays { start: day(&start)?, end: end.as_deref().map(day).transpose()? };
                let row: Option<ContractRow> = sqlx::query_as(
                    "UPDATE contracts SET name = $3, start_date = $4, end_date = $5, timing = $6, purchase_order = $7 \
                     WHERE tenant_id = $1 AND id = $2 \
                     RETURNING id, company_id, name, start_date, end_date, timing, currency, purchase_order",
                )
                .bind(tenant_id)
                .bind(c.id)
                .bind(c.name.as_str())
                .bind(date_text(c.start_date))
                .bind(c.end_date.map(date_text))
                .bind(c.timing.as_str())
                .bind(c.purchase_order.clone())
                .fetch_optional(&mut *tx)
                .await?;
                // New contract dates change the units of the days between the old and new ones.
                if let Some(from) = old_days.first_changed_day(&ContractDays { start: c.start_date, end: c.end_date }) {
                    Self::mark_dirty(&mut tx, tenant_id, from).await?;
                }
                tx.commit().await?;
                row
            };
            contract(row.ok_or_else(|| StoreError::NotFound(format!("contract {}", c.id)))?)
        }

        async fn contracts(&self, tenant_id: i64) -> StoreResult<Vec<ContractRecord>> {
            let rows: Vec<ContractRow> = sqlx::query_as(
                "SELECT id, company_id, name, start_date, end_date, timing, currency, purchase_order FROM contracts WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter().map(contract).collect()
        }

        async fn add_contract_service(&self, tenant_id: i64, cs: &ContractServiceRecord, terms: &TermsChange) -> StoreResult<ContractServiceRecord> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO contract_services (tenant_id, contract_id, service_id, description, active_from) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(tenant_id)
            .bind(cs.contract_id)
            .bind(cs.service_id)
            .bind(cs.description.as_str())
            .bind(date_text(cs.active_from))
            .fetch_one(&mut *tx)
            .await?;
            Self::insert_terms(&mut tx, tenant_id, &TermsChange { contract_service_id: id, ..terms.clone() }).await?;
            // A new fixed service has units from its first day.
            Self::mark_dirty(&mut tx, tenant_id, cs.active_from).await?;
            tx.commit().await?;
            Ok(ContractServiceRecord { id, ..cs.clone() })
        }

        async fn contract_services(&self, tenant_id: i64) -> StoreResult<Vec<ContractServiceRecord>> {
            let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
                "SELECT id, contract_id, service_id, description, active_from FROM contract_services WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| Ok(ContractServiceRecord { id: r.0, contract_id: r.1, service_id: r.2, description: r.3, active_from: day(&r.4)? }))
                .collect()
        }

        async fn add_terms_change(&self, tenant_id: i64, change: &TermsChange) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            Self::insert_terms(&mut tx, tenant_id, change).await?;
            // Fixed units and prices (the activity log's money at stake) change from here on.
            Self::mark_dirty(&mut tx, tenant_id, change.effective_from).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn terms_changes(&self, tenant_id: i64) -> StoreResult<Vec<TermsChange>> {
            let rows: Vec<(i64, String, String, String, String, String, String, String)> = sqlx::query_as(
                "SELECT contract_service_id, effective_from, unit_price, unit_cost, rule, fixed_units, changed_by, changed_at \
                 FROM contract_service_terms WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(TermsChange {
                        contract_service_id: r.0,
                        effective_from: day(&r.1)?,
                        terms: ServiceTerms {
                            unit_price: dec(&r.2)?,
                            unit_cost: dec(&r.3)?,
                            rule: r.4.parse::<ChangeRule>().map_err(|_| corrupt("rule", &r.4))?,
                            fixed_units: dec(&r.5)?,
                        },
                        changed: Changed { by: r.6, at: r.7 },
                    })
                })
                .collect()
        }

        async fn add_org_mapping_changes(&self, tenant_id: i64, changes: &[OrgMappingChange]) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            for c in changes {
                let (state, company) = assignment_columns(&c.assignment);
                sqlx::query(
                    "INSERT INTO org_mapping_changes (tenant_id, module_code, org_id, effective_from, state, company_id, changed_by, changed_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(tenant_id)
                .bind(c.module_code.as_str())
                .bind(c.org_id.as_str())
                .bind(date_text(c.effective_from))
                .bind(state)
                .bind(company)
                .bind(c.changed.by.as_str())
                .bind(c.changed.at.as_str())
                .execute(&mut *tx)
                .await?;
            }
            if let Some(from) = changes.iter().map(|c| c.effective_from).min() {
                Self::mark_dirty(&mut tx, tenant_id, from).await?;
            }
            tx.commit().await?;
            Ok(())
        }

        async fn org_mapping_changes(&self, tenant_id: i64) -> StoreResult<Vec<OrgMappingChange>> {
            let rows: Vec<(String, String, String, String, Option<i64>, String, String)> = sqlx::query_as(
                "SELECT module_code, org_id, effective_from, state, company_id, changed_by, changed_at FROM org_mapping_changes \
                 WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    let assignment = match (r.3.as_str(), r.4) {
                        ("mapped", Some(c)) => OrgAssignment::Mapped(c),
                        ("ignored", _) => OrgAssignment::Ignored,
                        ("unmapped", _) => OrgAssignment::Unmapped,
                        _ => return Err(corrupt("org mapping state", &r.3)),
                    };
                    Ok(OrgMappingChange { module_code: r.0, org_id: r.1, effective_from: day(&r.2)?, assignment, changed: Changed { by: r.5, at: r.6 } })
                })
                .collect()
        }

        async fn add_service_mapping_change(&self, tenant_id: i64, c: &ServiceMappingChange) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            sqlx::query(
                "INSERT INTO service_mapping_changes (tenant_id, contract_id, module_code, billing_type, effective_from, contract_service_id, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(tenant_id)
            .bind(c.contract_id)
            .bind(c.module_code.as_str())
            .bind(c.billing_type.as_str())
            .bind(date_text(c.effective_from))
            .bind(c.contract_service_id)
            .bind(c.changed.by.as_str())
            .bind(c.changed.at.as_str())
            .execute(&mut *tx)
            .await?;
            Self::mark_dirty(&mut tx, tenant_id, c.effective_from).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn service_mapping_changes(&self, tenant_id: i64) -> StoreResult<Vec<ServiceMappingChange>> {
            let rows: Vec<(i64, String, String, String, Option<i64>, String, String)> = sqlx::query_as(
                "SELECT contract_id, module_code, billing_type, effective_from, contract_service_id, changed_by, changed_at \
                 FROM service_mapping_changes WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| {
                    Ok(ServiceMappingChange {
                        contract_id: r.0,
                        module_code: r.1,
                        billing_type: r.2,
                        effective_from: day(&r.3)?,
                        contract_service_id: r.4,
                        changed: Changed { by: r.5, at: r.6 },
                    })
                })
                .collect()
        }

        async fn add_module_billing_change(&self, tenant_id: i64, c: &ModuleBillingChange) -> StoreResult<()> {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            sqlx::query(
                "INSERT INTO module_billing_changes (tenant_id, module_code, effective_from, enabled, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(tenant_id)
            .bind(c.module_code.as_str())
            .bind(date_text(c.effective_from))
            .bind(c.enabled)
            .bind(c.changed.by.as_str())
            .bind(c.changed.at.as_str())
            .execute(&mut *tx)
            .await?;
            Self::mark_dirty(&mut tx, tenant_id, c.effective_from).await?;
            tx.commit().await?;
            Ok(())
        }

        async fn module_billing_changes(&self, tenant_id: i64) -> StoreResult<Vec<ModuleBillingChange>> {
            let rows: Vec<(String, String, bool, String, String)> = sqlx::query_as(
                "SELECT module_code, effective_from, enabled, changed_by, changed_at FROM module_billing_changes WHERE tenant_id = $1 ORDER BY id",
            )
            .bind(tenant_id)
            .fetch_all(&self.pool)
            .await?;
            rows.into_iter()
                .map(|r| Ok(ModuleBillingChange { module_code: r.0, effective_from: day(&r.1)?, enabled: r.2, changed: Changed { by: r.3, at: r.4 } }))
                .collect()
        }
    }
}

sql_backend! {
    impl {
    async fn save_company_in(
    tx: &mut sqlx::Transaction<'_, DB>,
    tenant_id: i64,
    c: &CompanyRecord,
    now: &str,
    ) -> StoreResult<CompanyRecord> {
        let rates = serde_json::to_string(&c.tax_rates).expect("strings serialize");
        let row: Option<CompanyRow> = if c.id == 0 {
            sqlx::query_as::<DB, CompanyRow>(
                "INSERT INTO companies (tenant_id, name, status, currency, tax_rates, payment_terms_days, bill_to_id, external_ref, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 RETURNING id, name, status, currency, tax_rates, payment_terms_days, bill_to_id, external_ref",
            )
            .bind(tenant_id)
            .bind(c.name.as_str())
            .bind(c.status.as_str())
            .bind(c.currency.as_str())
            .bind(rates)
            .bind(c.payment_terms_days)
            .bind(c.bill_to_id)
            .bind(c.external_ref.clone())
            .bind(now)
            .fetch_optional(&mut **tx)
            .await
        } else {
            sqlx::query_as::<DB, CompanyRow>(
                "UPDATE companies SET name = $3, status = $4, currency = $5, tax_rates = $6, payment_terms_days = $7, \
                 bill_to_id = $8, external_ref = $9 WHERE tenant_id = $1 AND id = $2 \
                 RETURNING id, name, status, currency, tax_rates, payment_terms_days, bill_to_id, external_ref",
            )
            .bind(tenant_id)
            .bind(c.id)
            .bind(c.name.as_str())
            .bind(c.status.as_str())
            .bind(c.currency.as_str())
            .bind(rates)
            .bind(c.payment_terms_days)
            .bind(c.bill_to_id)
            .bind(c.external_ref.clone())
            .fetch_optional(&mut **tx)
            .await
        }
        .map_err(conflict(format!("company named {:?}", c.name)))?;
        company(row.ok_or_else(|| StoreError::NotFound(format!("company {}", c.id)))?)
    }

    async fn insert_terms(
        tx: &mut sqlx::Transaction<'_, DB>,
        tenant_id: i64,
        c: &TermsChange,
    ) -> StoreResult<()> {
        sqlx::query::<DB>(
            "INSERT INTO contract_service_terms (tenant_id, contract_service_id, effective_from, unit_price, unit_cost, rule, fixed_units, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(tenant_id)
        .bind(c.contract_service_id)
        .bind(date_text(c.effective_from))
        .bind(c.terms.unit_price.to_string())
        .bind(c.terms.unit_cost.to_string())
        .bind(c.terms.rule.as_str())
        .bind(c.terms.fixed_units.to_string())
        .bind(c.changed.by.as_str())
        .bind(c.changed.at.as_str())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
    }
}
