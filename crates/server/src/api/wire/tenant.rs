//! The tenant's settings, its modules and the test clock.

use serde::{Deserialize, Serialize};
use unitbill_engine::tenants;

/// Tenant settings an admin may change (only the fields given).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    pub name: Option<String>,
    /// IANA zone; periods are civil months there.
    pub time_zone: Option<String>,
    /// Hour (0-23, tenant time) the nightly sync runs.
    #[schema(minimum = 0, maximum = 23)]
    pub sync_hour: Option<i64>,
    /// Periods before the charged one that adjustments settle (default 3).
    #[schema(minimum = 0)]
    pub lookback_periods: Option<i64>,
    /// Days of usage history accepted; 0 clears the limit.
    #[schema(minimum = 0)]
    pub retention_days: Option<i64>,
    /// Days of activity log kept; 0 keeps everything (the default).
    #[schema(minimum = 0)]
    pub activity_retention_days: Option<i64>,
    /// e.g. `INV-{seq:05}` or `{year}-{seq}`.
    pub invoice_number_format: Option<String>,
    pub credit_note_number_format: Option<String>,
    /// First day usage is accepted for (`YYYY-MM-DD`, from 1900-01-01 to today); `""` restores
    /// the default, the first day of the month 24 months before the tenant was created.
    pub history_start: Option<String>,
}

impl From<SettingsInput> for tenants::SettingsInput {
    fn from(i: SettingsInput) -> Self {
        tenants::SettingsInput {
            name: i.name,
            time_zone: i.time_zone,
            sync_hour: i.sync_hour,
            lookback_periods: i.lookback_periods,
            retention_days: i.retention_days,
            activity_retention_days: i.activity_retention_days,
            invoice_number_format: i.invoice_number_format,
            credit_note_number_format: i.credit_note_number_format,
            history_start: i.history_start,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ModuleView {
    pub code: String,
    pub name: String,
    pub custom: bool,
    pub connected: bool,
    pub connected_at: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub billing_types: Vec<unitbill_domain::catalog::BillingType>,
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// Display name, required to connect a custom module (a code not in the catalog).
    pub name: Option<String>,
}

#[derive(Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockView {
    /// RFC 3339 instant, e.g. 2026-12-01T06:00:00Z.
    pub now: String,
    /// Whether the server runs with `--test-clock`.
    #[serde(default)]
    pub test_clock: bool,
}
