//! Insights: the morning inbox. Most are derived from the current state on demand, so they
//! resolve themselves when their cause goes away; an admin can dismiss or resolve any of them
//! (kept by key). Runs record the ones that are events (a correction beyond the lookback).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use unitbill_domain::setup::{CompanyStatus, OrgAssignment};

use crate::tenants::tenant_today;
use crate::{Engine, EngineError, EngineResult};

/// A unit change is a jump when it moves by at least this share of the previous day...
pub const JUMP_SHARE: f64 = 0.5;
/// ...and by at least this many units.
pub const JUMP_MIN_UNITS: i64 = 5;

/// One item of the inbox.
#[derive(Debug, Clone, Serialize)]
pub struct Insight {
    /// Stable identity: dismissing or resolving is remembered by key.
    pub key: String,
    /// activate_billing, new_organization, unmapped_usage, usage_outside_contract, stale_module,
    /// unit_jump, dead_company_usage, correction_beyond_lookback.
    pub kind: String,
    pub title: String,
    pub detail: String,
    /// Money at stake, where it can be inferred.
    pub amount: Option<String>,
    pub company_id: Option<i64>,
    pub module: Option<String>,
    /// open, dismissed or resolved.
    pub status: String,
}

fn insight(key: String, kind: &str, title: String, detail: String) -> Insight {
    Insight {
        key,
        kind: kind.into(),
        title,
        detail,
        amount: None,
        company_id: None,
        module: None,
        status: "open".into(),
    }
}

impl Engine {
    /// The inbox; with `all`, dismissed and resolved items too.
    pub async fn insights(&self, tenant_id: i64, all: bool) -> EngineResult<Vec<Insight>> {
        let tenant = self.store.tenant(tenant_id).await?;
        let today = tenant_today(self, &tenant)?;
        let setup = self.load_setup(tenant_id).await?;
        let connected = self.store.connected_modules(tenant_id).await?;
        let mut out = Vec::new();

        for m in &connected {
            if !setup.billing_enabled(&m.module_code, today) {
                let mut i = insight(
                    format!("activate_billing:{}", m.module_code),
                    "activate_billing",
                    format!("Activate integrated billing for {}", m.name),
                    format!(
                        "{} is connected but billing is not enabled: its usage bills nothing.",
                        m.name
                    ),
                );
                i.module = Some(m.module_code.clone());
                out.push(i);
            }
        }
        for o in self.store.module_orgs(tenant_id, None).await? {
            if setup.billing_enabled(&o.module_code, today)
                && setup.org_assignment(&o.module_code, &o.org_id, today) == OrgAssignment::Unmapped
            {
                let mut i = insight(
                    format!("new_organization:{}:{}", o.module_code, o.org_id),
                    "new_organization",
                    format!("Billing available for new organization {}", o.name),
                    format!(
                        "{} reported {:?} (first seen {}); map it to a company or mark it ignored.",
                        o.module_code, o.name, o.first_seen_date
                    ),
                );
                i.module = Some(o.module_code);
                out.push(i);
            }
        }

        let synced = self.store.sync_state(tenant_id).await?.synced_through;
        if let Some(day) = synced {
            for (module, last) in self.store.last_snapshot_days(tenant_id).await? {
                if last < day && setup.billing_enabled(&module, day) {
                    let mut i = insight(
                        format!("stale_module:{module}"),
                        "stale_module",
                        format!("{module} has not reported since {last}"),
                        format!(
                            "Days after {last} carry its last counts forward; lines resting on them are marked in the preview."
                        ),
                    );
                    i.module = Some(module);
                    out.push(i);
                }
            }
            let activity = self.store.activity(tenant_id, day, day, false).await?;
            let mut failed: BTreeMap<(String, String, String), (i64, Decimal, bool)> =
                BTreeMap::new();
            for a in &activity {
                if a.status == "failed" {
                    let e = failed
                        .entry((
                            a.module_code.clone(),
                            a.billing_type.clone(),
                            a.reason.clone().unwrap_or_default(),
                        ))
                        .or_default();
                    e.0 += a.units;
                    if let Some(x) = a
                        .amount_at_stake
                        .as_deref()
                        .and_then(|x| x.parse::<Decimal>().ok())
                    {
                        e.1 += x;
                        e.2 = true;
                    }
                    continue;
                }
                let company = a.company_id.and_then(|c| setup.companies.get(&c));
                if let Some(c) = company
                    .filter(|c| matches!(c.status, CompanyStatus::Dead | CompanyStatus::Cancelled))
                {
                    let mut i = insight(
                        format!(
                            "dead_company_usage:{}:{}:{}",
                            c.id, a.module_code, a.billing_type
                        ),
                        "dead_company_usage",
                        format!("Usage on {} company {}", c.status.as_str(), c.name),
                        format!(
                            "{} {}/{} units on {day}: still billed by its contracts until they end.",
                            a.units, a.module_code, a.billing_type
                        ),
                    );
                    i.company_id = Some(c.id);
                    out.push(i);
                }
                let delta = a.units - a.previous_units;
                if a.previous_units > 0
                    && delta.abs() >= JUMP_MIN_UNITS
                    && (delta.abs() as f64) >= JUMP_SHARE * a.previous_units as f64
                {
                    let mut i = insight(
                        format!(
                            "unit_jump:{}:{}:{}:{day}",
                            a.contract_service_id.unwrap_or(0),
                            a.module_code,
                            a.billing_type
                        ),
                        "unit_jump",
                        format!(
                            "{}/{} went from {} to {} units",
                            a.module_code, a.billing_type, a.previous_units, a.units
                        ),
                        format!(
                            "{} on {day}.",
                            company.map_or("A company".to_owned(), |c| c.name.clone())
                        ),
                    );
                    i.company_id = a.company_id;
                    i.module = Some(a.module_code.clone());
                    out.push(i);
                }
            }
            for ((module, bt, reason), (units, amount, priced)) in failed {
                let (kind, why) = match reason.as_str() {
                    "no_active_contract" => (
                        "usage_outside_contract",
                        "its company has no active monthly contract",
                    ),
                    "org_not_mapped" => (
                        "unmapped_usage",
                        "the organization is not mapped to a company",
                    ),
                    _ => (
                        "unmapped_usage",
                        "the billing type is not mapped to a contract service",
                    ),
                };
                let mut i = insight(
                    format!("{kind}:{module}:{bt}:{reason}"),
                    kind,
                    format!("{units} units of {module}/{bt} bill nothing"),
                    format!("On {day}, {why}."),
                );
                i.amount = priced.then(|| amount.to_string());
                i.module = Some(module);
                out.push(i);
            }
        }
        for r in self.store.recorded_insights(tenant_id).await? {
            out.push(Insight {
                key: r.key,
                kind: r.kind,
                title: r.title,
                detail: r.detail,
                amount: r.amount,
                company_id: r.company_id,
                module: None,
                status: "open".into(),
            });
        }

        let statuses: BTreeMap<String, String> = self
            .store
            .insight_statuses(tenant_id)
            .await?
            .into_iter()
            .collect();
        for i in &mut out {
            if let Some(s) = statuses.get(&i.key) {
                i.status = s.clone();
            }
        }
        if !all {
            out.retain(|i| i.status == "open");
        }
        Ok(out)
    }

    /// Dismisses, resolves or reopens an insight by key.
    pub async fn set_insight_status(
        &self,
        tenant_id: i64,
        key: &str,
        status: &str,
        actor: &str,
    ) -> EngineResult<()> {
        let status = match status {
            "dismissed" | "resolved" => Some(status),
            "open" => None,
            _ => {
                return Err(EngineError::field(
                    "status",
                    "must be dismissed, resolved or open",
                ));
            }
        };
        if key.trim().is_empty() {
            return Err(EngineError::field("key", "must not be empty"));
        }
        // Only an insight the inbox lists (open or decided) can be decided: any other key
        // would be stored for nothing.
        if !self
            .insights(tenant_id, true)
            .await?
            .iter()
            .any(|i| i.key == key)
        {
            return Err(EngineError::NotFound(format!("insight {key:?}")));
        }
        Ok(self
            .store
            .set_insight_status(tenant_id, key, status, actor, &self.now_text())
            .await?)
    }
}
