//! The rows the store hands back, typed.

use serde::Serialize;
use unitbill_domain::usage::{Revision, UsageValue};

/// What a person or token may do. Viewers read; billing runs invoices; admins do everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Viewer,
    Billing,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Billing => "billing",
            Self::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "viewer" => Some(Self::Viewer),
            "billing" => Some(Self::Billing),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// A tenant (one MSP) and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// IANA zone; every civil date of the tenant is in it.
    pub time_zone: String,
    pub currency: String,
    pub sync_hour: i64,
    pub lookback_periods: i64,
    pub retention_days: Option<i64>,
    pub created_at: String,
}

/// A tenant to create (validated by the engine).
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub sync_hour: i64,
    pub now: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: i64,
    pub tenant_id: i64,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub tenant_id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectedModule {
    pub module_code: String,
    pub name: String,
    pub custom: bool,
    pub connected_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleKey {
    pub id: i64,
    pub tenant_id: i64,
    pub module_code: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleOrg {
    pub module_code: String,
    pub org_id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub first_seen_date: String,
    pub last_seen_date: String,
}

/// A day's stored snapshot of one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSnapshot {
    pub complete: bool,
    pub version: i64,
    pub received_at: String,
    pub received_by: String,
    pub values: Vec<UsageValue>,
}

/// What storing a snapshot did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SnapshotOutcome {
    /// False when the snapshot repeated what was stored (nothing was written).
    pub changed: bool,
    pub version: i64,
    pub values_written: usize,
    pub revisions: usize,
    pub new_orgs: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageRevision {
    pub org_id: String,
    pub billing_type: String,
    pub old_quantity: i64,
    pub new_quantity: i64,
    pub changed_by: String,
    pub changed_at: String,
}

impl UsageRevision {
    pub fn from_revision(r: &Revision, changed_by: &str, changed_at: &str) -> Self {
        Self {
            org_id: r.org_id.clone(),
            billing_type: r.billing_type.to_string(),
            old_quantity: r.old_quantity,
            new_quantity: r.new_quantity,
            changed_by: changed_by.to_owned(),
            changed_at: changed_at.to_owned(),
        }
    }
}
