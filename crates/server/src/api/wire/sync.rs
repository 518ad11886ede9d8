//! The sync on demand and the insights inbox.

use serde::{Deserialize, Serialize};
use unitbill_engine::{insights, sync};

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncInput {
    /// Sync through this date (default: yesterday in the tenant's time zone).
    #[schema(schema_with = super::schema::optional_date)]
    pub through: Option<String>,
    /// Also recompute from this date on.
    #[schema(schema_with = super::schema::optional_date)]
    pub from: Option<String>,
}

/// What a sync did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SyncReport {
    /// First day recomputed (None: nothing to do).
    pub from: Option<String>,
    pub through: String,
    pub days: usize,
    /// Another process held the tenant's sync lease; nothing was done.
    pub busy: bool,
}

impl From<sync::SyncReport> for SyncReport {
    fn from(r: sync::SyncReport) -> Self {
        SyncReport {
            from: r.from,
            through: r.through,
            days: r.days,
            busy: r.busy,
        }
    }
}

/// One item of the inbox.
#[derive(Serialize, utoipa::ToSchema)]
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

impl From<insights::Insight> for Insight {
    fn from(i: insights::Insight) -> Self {
        Insight {
            key: i.key,
            kind: i.kind,
            title: i.title,
            detail: i.detail,
            amount: i.amount,
            company_id: i.company_id,
            module: i.module,
            status: i.status,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightStatusInput {
    /// dismissed, resolved or open.
    #[schema(schema_with = super::schema::insight_status)]
    pub status: String,
}
