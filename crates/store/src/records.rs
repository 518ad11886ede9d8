//! The rows the store hands back, typed.

use serde::Serialize;
use unitbill_domain::usage::UsageValue;

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
    /// The period closed by the first invoice run (`YYYY-MM`): nothing before it is billed.
    pub billing_start: Option<String>,
    /// Pattern of invoice numbers, e.g. `INV-{seq:05}` or `{year}-{seq}`.
    pub invoice_number_format: String,
    pub credit_note_number_format: String,
    /// Days of activity log kept; None keeps everything.
    pub activity_retention_days: Option<i64>,
    /// The history start an admin set (`YYYY-MM-DD`); None: the default, the first day of
    /// the month 24 months before the tenant was created.
    pub history_start: Option<String>,
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

/// A web session to store: `id` is the SHA-256 (hex) of the secret the cookie carries.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub id: String,
    pub tenant_id: i64,
    pub user_id: i64,
    pub created_at: String,
    /// Unix seconds after which the session is refused.
    pub expires_at: i64,
}

/// A stored web session with the person it signs in, as they are now (role, email).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub tenant_id: i64,
    pub user_id: i64,
    pub email: String,
    pub role: Role,
    /// Unix seconds.
    pub expires_at: i64,
    pub revoked_at: Option<String>,
}

/// What is counted of failed sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleScope {
    /// A tenant slug and email as typed (lowercased), existing or not.
    Account,
    /// A client IP address.
    Address,
}

impl ThrottleScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Account => "account",
            Self::Address => "address",
        }
    }
}

/// Consecutive failed sign-ins of one key and when the last one was (unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    pub failures: i64,
    pub last_failure_at: i64,
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

/// A company as stored (tax rates by name; see `tax_rates`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompanyRecord {
    pub id: i64,
    pub name: String,
    pub status: unitbill_domain::setup::CompanyStatus,
    pub currency: String,
    /// Names of tenant tax rates; empty = exempt.
    pub tax_rates: Vec<String>,
    pub payment_terms_days: i64,
    pub bill_to_id: Option<i64>,
    pub external_ref: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceRecord {
    pub id: i64,
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: rust_decimal::Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_cost: rust_decimal::Decimal,
    pub taxable: bool,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractRecord {
    pub id: i64,
    pub company_id: i64,
    pub name: String,
    pub start_date: jiff::civil::Date,
    pub end_date: Option<jiff::civil::Date>,
    pub timing: unitbill_domain::rules::Timing,
    pub currency: String,
    pub purchase_order: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractServiceRecord {
    pub id: i64,
    pub contract_id: i64,
    pub service_id: i64,
    pub description: String,
    pub active_from: jiff::civil::Date,
}

/// Who made a change and when (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changed {
    pub by: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermsChange {
    pub contract_service_id: i64,
    pub effective_from: jiff::civil::Date,
    pub terms: unitbill_domain::setup::ServiceTerms,
    pub changed: Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgMappingChange {
    pub module_code: String,
    pub org_id: String,
    pub effective_from: jiff::civil::Date,
    pub assignment: unitbill_domain::setup::OrgAssignment,
    pub changed: Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceMappingChange {
    pub contract_id: i64,
    pub module_code: String,
    pub billing_type: String,
    pub effective_from: jiff::civil::Date,
    /// None unmaps.
    pub contract_service_id: Option<i64>,
    pub changed: Changed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleBillingChange {
    pub module_code: String,
    pub effective_from: jiff::civil::Date,
    pub enabled: bool,
    pub changed: Changed,
}

/// How far the sync has come for a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct SyncState {
    pub synced_through: Option<jiff::civil::Date>,
    /// Data or mappings changed for days from here on: they are recomputed by the next sync.
    pub resync_from: Option<jiff::civil::Date>,
    /// Grows with every recompute mark: a sync that read its inputs at one value knows, when
    /// it writes, whether a change arrived in between.
    pub mark_seq: i64,
}

/// One batch of consecutive days a sync wrote, and the mark it read before reading inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncBatch {
    pub from: jiff::civil::Date,
    pub through: jiff::civil::Date,
    pub seen_mark_seq: i64,
}

impl SyncState {
    /// The state after `batch` was written. `synced_through` only grows. The recompute mark
    /// moves past the batch only if the batch covered it (started at or before it) and no mark
    /// arrived since the batch's inputs were read; it is cleared once it passes every day
    /// already synced. A mark before the batch, or one made meanwhile, stays: nothing is lost.
    pub fn after_batch(self, batch: &SyncBatch) -> SyncState {
        let synced_through = Some(
            self.synced_through
                .map_or(batch.through, |t| t.max(batch.through)),
        );
        let resync_from = match self.resync_from {
            Some(r)
                if r >= batch.from
                    && r <= batch.through
                    && self.mark_seq == batch.seen_mark_seq =>
            {
                match (batch.through.tomorrow(), self.synced_through) {
                    (Ok(next), Some(t)) if next <= t => Some(next),
                    _ => None,
                }
            }
            other => other,
        };
        SyncState {
            synced_through,
            resync_from,
            mark_seq: self.mark_seq,
        }
    }

    /// The first day a sync must compute: the earliest recompute mark or the day after the
    /// last synced day, whichever is first (None: never synced).
    pub fn first_pending_day(&self) -> Option<jiff::civil::Date> {
        let next = self.synced_through.and_then(|t| t.tomorrow().ok());
        match (self.resync_from, next) {
            (Some(r), Some(n)) => Some(r.min(n)),
            (r, n) => r.or(n),
        }
    }
}

#[cfg(test)]
mod sync_state_tests {
    use super::*;
    use jiff::civil::date;

    fn state(
        through: Option<jiff::civil::Date>,
        resync: Option<jiff::civil::Date>,
        seq: i64,
    ) -> SyncState {
        SyncState {
            synced_through: through,
            resync_from: resync,
            mark_seq: seq,
        }
    }

    #[test]
    fn a_sync_of_an_earlier_month_keeps_the_later_marked_days() {
        // Late February data after the nightly sync reached March 31: the run closing February
        // syncs February only; March must stay marked.
        let s = state(Some(date(2026, 3, 31)), Some(date(2026, 2, 1)), 4);
        let after = s.after_batch(&SyncBatch {
            from: date(2026, 2, 1),
            through: date(2026, 2, 28),
            seen_mark_seq: 4,
        });
        assert_eq!(after.resync_from, Some(date(2026, 3, 1)));
        assert_eq!(after.synced_through, Some(date(2026, 3, 31)));
        assert_eq!(after.first_pending_day(), Some(date(2026, 3, 1)));
    }

    #[test]
    fn an_interrupted_sync_resumes_after_its_last_batch() {
        let s = state(Some(date(2026, 6, 3)), Some(date(2026, 5, 1)), 1);
        let after = s.after_batch(&SyncBatch {
            from: date(2026, 5, 1),
            through: date(2026, 5, 7),
            seen_mark_seq: 1,
        });
        assert_eq!(after.first_pending_day(), Some(date(2026, 5, 8)));
    }

    #[test]
    fn a_mark_made_while_the_batch_ran_is_kept() {
        let s = state(Some(date(2026, 6, 3)), Some(date(2026, 5, 3)), 2);
        let after = s.after_batch(&SyncBatch {
            from: date(2026, 5, 1),
            through: date(2026, 5, 7),
            seen_mark_seq: 1,
        });
        assert_eq!(after.resync_from, Some(date(2026, 5, 3)));
        let earlier = state(Some(date(2026, 6, 3)), Some(date(2026, 4, 20)), 1);
        let after = earlier.after_batch(&SyncBatch {
            from: date(2026, 5, 1),
            through: date(2026, 5, 7),
            seen_mark_seq: 1,
        });
        assert_eq!(after.resync_from, Some(date(2026, 4, 20)));
    }

    #[test]
    fn the_mark_clears_once_it_passes_the_synced_days() {
        let s = state(Some(date(2026, 6, 3)), Some(date(2026, 6, 1)), 1);
        let after = s.after_batch(&SyncBatch {
            from: date(2026, 6, 1),
            through: date(2026, 6, 7),
            seen_mark_seq: 1,
        });
        assert_eq!(after.resync_from, None);
        assert_eq!(after.synced_through, Some(date(2026, 6, 7)));
        assert_eq!(after.first_pending_day(), Some(date(2026, 6, 8)));
    }
}

/// U(cs, d) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitRow {
    pub contract_service_id: i64,
    pub day: jiff::civil::Date,
    #[serde(with = "rust_decimal::serde::str")]
    pub units: rust_decimal::Decimal,
    pub stale: bool,
}

/// U(cs, d) over a run of days with the same units: what [`UnitRow`]s of the days
/// `first..=last` would say, in one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitInterval {
    pub contract_service_id: i64,
    pub first: jiff::civil::Date,
    pub last: jiff::civil::Date,
    #[serde(with = "rust_decimal::serde::str")]
    pub units: rust_decimal::Decimal,
    pub stale: bool,
}

/// One module org's part of U(cs, d).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitSourceRow {
    pub contract_service_id: i64,
    pub day: jiff::civil::Date,
    pub module_code: String,
    pub org_id: String,
    pub billing_type: String,
    pub quantity: i64,
}

/// One row of the daily activity digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivityRecord {
    pub day: jiff::civil::Date,
    pub module_code: String,
    pub billing_type: String,
    pub company_id: Option<i64>,
    pub contract_service_id: Option<i64>,
    /// increased, decreased, unchanged or failed.
    pub status: String,
    /// Why a failed row bills nothing: org_not_mapped, billing_type_not_mapped, no_active_contract.
    pub reason: Option<String>,
    pub units: i64,
    pub previous_units: i64,
    pub amount_at_stake: Option<String>,
}

/// Everything the sync computed for one day.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SyncedDay {
    pub day: Option<jiff::civil::Date>,
    pub units: Vec<UnitRow>,
    pub sources: Vec<UnitSourceRow>,
    pub activity: Vec<ActivityRecord>,
}

/// A module's snapshot header for a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotDay {
    pub module_code: String,
    pub day: jiff::civil::Date,
    pub complete: bool,
}

/// A stored usage value with its module and day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatedUsage {
    pub module_code: String,
    pub day: jiff::civil::Date,
    pub value: unitbill_domain::usage::UsageValue,
}

/// A change of a module's complete content on one complete day (see
/// [`unitbill_domain::usage_points`]): the key's quantity from that day on, or None when the
/// key is absent from that day on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageChange {
    pub module_code: String,
    pub day: jiff::civil::Date,
    pub org_id: String,
    pub billing_type: String,
    pub quantity: Option<i64>,
}

/// One line of a stored document: the domain's line, which the store maps its rows to.
pub type DocumentLineRecord = unitbill_domain::document::DocumentLine;

/// An invoice or credit note: the domain's document, which the store maps its rows to.
pub type DocumentRecord = unitbill_domain::document::Document;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OneOffRecord {
    pub id: i64,
    pub company_id: i64,
    pub period: String,
    pub description: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub quantity: rust_decimal::Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: rust_decimal::Decimal,
    pub taxable: bool,
}

/// A payment as stored: the domain's payment.
pub type PaymentRecord = unitbill_domain::ledger::Payment;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditApplication {
    pub company_id: i64,
    pub document_id: i64,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: rust_decimal::Decimal,
}

/// An insight a run recorded (it stays until the admin resolves or dismisses it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordedInsight {
    pub key: String,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub amount: Option<String>,
    pub company_id: Option<i64>,
    pub recorded_at: String,
}

/// What writing a run's drafts did: the new drafts, and the companies skipped because they
/// already have a posted or voided invoice, or a run credit note, for the period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunWrite {
    pub draft_ids: Vec<i64>,
    pub skipped_companies: Vec<i64>,
}

/// A payment to record against one invoice; how much of it the invoice absorbs is decided
/// inside the store's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub document_id: i64,
    pub amount: rust_decimal::Decimal,
    pub paid_on: jiff::civil::Date,
    pub method: String,
    pub reference: String,
}

/// One company of a CSV import, with the name of its bill-to parent if it names one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyImport {
    pub company: CompanyRecord,
    pub bill_to_name: Option<String>,
}
