//! Storage for unitbill: one async interface, two backends.
//!
//! The interface is split by area (`TenantStore`, `UsageStore`, ...) and gathered in [`Store`],
//! which the engine holds as `Arc<dyn Store>`. Both backends share one generic SQL code path
//! ([`sql::SqlStore`]) because the SQL agrees: `$N` placeholders, `ON CONFLICT`, `RETURNING`,
//! and TEXT for dates and decimals. Each backend keeps its own migrations (`migrations/sqlite`,
//! `migrations/postgres`), applied at start. [`connect`] picks the backend from the URL scheme.

pub mod bench;
mod records;
pub mod sql;
pub mod testing;

use std::sync::Arc;

pub use records::*;

use async_trait::async_trait;
use jiff::civil::Date;
use unitbill_domain::catalog::BillingType;
use unitbill_domain::invoice::TaxRate;
use unitbill_domain::usage::{OrgReport, UsageValue};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("unsupported database URL {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Tenants, their people and their keys.
#[async_trait]
pub trait TenantStore: Send + Sync {
    async fn create_tenant(&self, tenant: &NewTenant) -> StoreResult<Tenant>;
    async fn tenant(&self, id: i64) -> StoreResult<Tenant>;
    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Tenant>;
    async fn tenants(&self) -> StoreResult<Vec<Tenant>>;
    /// Saves a tenant's settings (name, zone, sync hour, lookback, retention, number formats).
    async fn update_tenant(&self, tenant: &Tenant) -> StoreResult<Tenant>;
    async fn add_user(
        &self,
        tenant_id: i64,
        email: &str,
        password_hash: &str,
        role: Role,
        now: &str,
    ) -> StoreResult<User>;
    async fn user_by_email(&self, tenant_id: i64, email: &str) -> StoreResult<User>;
    async fn create_api_token(
        &self,
        tenant_id: i64,
        name: &str,
        role: Role,
        token_hash: &str,
        now: &str,
    ) -> StoreResult<ApiToken>;
    /// The token's role if the hash matches a token of that tenant that is not revoked.
    async fn find_api_token(
        &self,
        tenant_id: i64,
        token_hash: &str,
    ) -> StoreResult<Option<ApiToken>>;
    async fn revoke_api_token(&self, tenant_id: i64, id: i64, now: &str) -> StoreResult<()>;
}

/// Connected modules, their keys, their organizations and their daily usage.
#[async_trait]
pub trait UsageStore: Send + Sync {
    /// Records a module as connected (idempotent: reconnecting keeps the first date).
    async fn connect_module(
        &self,
        tenant_id: i64,
        module_code: &str,
        name: &str,
        custom: bool,
        now: &str,
    ) -> StoreResult<ConnectedModule>;
    async fn connected_modules(&self, tenant_id: i64) -> StoreResult<Vec<ConnectedModule>>;
    async fn custom_billing_types(
        &self,
        tenant_id: i64,
        module_code: &str,
    ) -> StoreResult<Vec<BillingType>>;
    async fn create_module_key(
        &self,
        tenant_id: i64,
        module_code: &str,
        key_hash: &str,
        now: &str,
    ) -> StoreResult<ModuleKey>;
    async fn module_keys(&self, tenant_id: i64) -> StoreResult<Vec<ModuleKey>>;
    async fn find_module_key(
        &self,
        tenant_id: i64,
        key_hash: &str,
    ) -> StoreResult<Option<ModuleKey>>;
    async fn revoke_module_key(&self, tenant_id: i64, id: i64, now: &str) -> StoreResult<()>;
    /// Stores one snapshot in one transaction: new custom billing types, the orgs it names, and
    /// its values with the replace semantics of `unitbill_domain::usage::plan_snapshot`.
    async fn put_snapshot(&self, put: &PutSnapshot<'_>) -> StoreResult<SnapshotOutcome>;
    /// The stored snapshot of a module for a day, if any.
    async fn snapshot(
        &self,
        tenant_id: i64,
        module_code: &str,
        date: Date,
    ) -> StoreResult<Option<StoredSnapshot>>;
    async fn module_orgs(
        &self,
        tenant_id: i64,
        module_code: Option<&str>,
    ) -> StoreResult<Vec<ModuleOrg>>;
    async fn usage_revisions(
        &self,
        tenant_id: i64,
        module_code: &str,
        date: Date,
    ) -> StoreResult<Vec<UsageRevision>>;
}

/// Companies, services, contracts and the effective-dated mapping logs. Logs are append-only
/// and read back in the order changes were made.
#[async_trait]
pub trait SetupStore: Send + Sync {
    async fn set_billing_start(&self, tenant_id: i64, period: Option<&str>) -> StoreResult<()>;
    async fn put_tax_rate(&self, tenant_id: i64, rate: &TaxRate) -> StoreResult<()>;
    async fn tax_rates(&self, tenant_id: i64) -> StoreResult<Vec<TaxRate>>;
    /// Creates (id 0) or updates a company.
    async fn save_company(
        &self,
        tenant_id: i64,
        company: &CompanyRecord,
        now: &str,
    ) -> StoreResult<CompanyRecord>;
    async fn companies(&self, tenant_id: i64) -> StoreResult<Vec<CompanyRecord>>;
    /// Saves imported companies, in order and all or none, in one transaction; a bill-to
    /// parent named by a row is one that exists or an earlier row of the same import.
    async fn import_companies(
        &self,
        tenant_id: i64,
        rows: &[CompanyImport],
        now: &str,
    ) -> StoreResult<Vec<CompanyRecord>>;
    async fn create_service(
        &self,
        tenant_id: i64,
        service: &ServiceRecord,
    ) -> StoreResult<ServiceRecord>;
    async fn services(&self, tenant_id: i64) -> StoreResult<Vec<ServiceRecord>>;
    /// Creates (id 0) or updates a contract.
    async fn save_contract(
        &self,
        tenant_id: i64,
        contract: &ContractRecord,
        now: &str,
    ) -> StoreResult<ContractRecord>;
    async fn contracts(&self, tenant_id: i64) -> StoreResult<Vec<ContractRecord>>;
    /// Adds a service to a contract with its first terms, in one transaction.
    async fn add_contract_service(
        &self,
        tenant_id: i64,
        cs: &ContractServiceRecord,
        terms: &TermsChange,
    ) -> StoreResult<ContractServiceRecord>;
    async fn contract_services(&self, tenant_id: i64) -> StoreResult<Vec<ContractServiceRecord>>;
    async fn add_terms_change(&self, tenant_id: i64, change: &TermsChange) -> StoreResult<()>;
    async fn terms_changes(&self, tenant_id: i64) -> StoreResult<Vec<TermsChange>>;
    /// Appends org mapping changes (several at once for bulk accepts), in one transaction.
    async fn add_org_mapping_changes(
        &self,
        tenant_id: i64,
        changes: &[OrgMappingChange],
    ) -> StoreResult<()>;
    async fn org_mapping_changes(&self, tenant_id: i64) -> StoreResult<Vec<OrgMappingChange>>;
    async fn add_service_mapping_change(
        &self,
        tenant_id: i64,
        change: &ServiceMappingChange,
    ) -> StoreResult<()>;
    async fn service_mapping_changes(
        &self,
        tenant_id: i64,
    ) -> StoreResult<Vec<ServiceMappingChange>>;
    async fn add_module_billing_change(
        &self,
        tenant_id: i64,
        change: &ModuleBillingChange,
    ) -> StoreResult<()>;
    async fn module_billing_changes(&self, tenant_id: i64)
    -> StoreResult<Vec<ModuleBillingChange>>;
}

/// The sync's inputs (stored usage by day range) and outputs (unit history, activity log).
#[async_trait]
pub trait SyncStore: Send + Sync {
    async fn sync_state(&self, tenant_id: i64) -> StoreResult<SyncState>;
    /// Days from `from` on must be recomputed (late usage, a mapping change).
    async fn mark_resync_from(&self, tenant_id: i64, from: Date) -> StoreResult<()>;
    /// Takes the tenant's sync lease if it is free or expired; false if another holder has it.
    async fn acquire_sync_lease(
        &self,
        tenant_id: i64,
        holder: &str,
        now: &str,
        expires_at: &str,
    ) -> StoreResult<bool>;
    async fn release_sync_lease(&self, tenant_id: i64, holder: &str) -> StoreResult<()>;
    /// Extends a lease its holder still has; false if it was lost (expired and taken).
    async fn renew_sync_lease(
        &self,
        tenant_id: i64,
        holder: &str,
        expires_at: &str,
    ) -> StoreResult<bool>;
    /// The earliest day any module reported, if any.
    async fn first_usage_day(&self, tenant_id: i64) -> StoreResult<Option<Date>>;
    /// Snapshot headers of every module for days in [from, to].
    async fn snapshot_days(
        &self,
        tenant_id: i64,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<SnapshotDay>>;
    /// Per module, the latest day before `day` that has a complete snapshot.
    async fn last_complete_days(
        &self,
        tenant_id: i64,
        day: Date,
    ) -> StoreResult<Vec<(String, Date)>>;
    /// Every module's complete content in force on `day`: the runs covering it, which are the
    /// content of the module's latest complete day on or before it (explicit zeros kept).
    async fn usage_content_at(&self, tenant_id: i64, day: Date) -> StoreResult<Vec<DatedUsage>>;
    /// How the complete content changes on each complete day in [from, to], per module:
    /// runs starting that day (`Some` quantity) and keys absent from that day on (`None`).
    async fn usage_changes(
        &self,
        tenant_id: i64,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<UsageChange>>;
    /// The listed values of days in [from, to] that have only partial snapshots, by day.
    async fn partial_usage(
        &self,
        tenant_id: i64,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<DatedUsage>>;
    /// Replaces what is stored from the batch's first day on with its days (consecutive,
    /// ascending; the sync writes the later days in its next batches) and advances the sync
    /// state (see [`SyncState::after_batch`]), in one transaction.
    async fn write_synced_days(
        &self,
        tenant_id: i64,
        days: &[SyncedDay],
        batch: SyncBatch,
    ) -> StoreResult<()>;
    async fn unit_history(
        &self,
        tenant_id: i64,
        contract_service_id: Option<i64>,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<UnitRow>>;
    async fn unit_sources(
        &self,
        tenant_id: i64,
        contract_service_id: i64,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<UnitSourceRow>>;
    async fn activity(
        &self,
        tenant_id: i64,
        from: Date,
        to: Date,
        failed_only: bool,
    ) -> StoreResult<Vec<ActivityRecord>>;
    /// U(cs, d) of the contract services whose ids lie in [first_cs, last_cs]: the invoice run
    /// reads its company batches this way, keeping its memory bounded.
    async fn unit_history_for_services(
        &self,
        tenant_id: i64,
        first_cs: i64,
        last_cs: i64,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<UnitRow>>;
    /// What [`Self::unit_history_for_services`] returns, as runs of days with the same units
    /// (clipped to [from, to] and the synced days), ordered by contract service and day: the
    /// invoice run reads a month without a row per day.
    async fn unit_intervals_for_services(
        &self,
        tenant_id: i64,
        first_cs: i64,
        last_cs: i64,
        from: Date,
        to: Date,
    ) -> StoreResult<Vec<UnitInterval>>;
    /// Deletes activity-log rows of days before `before` (the tenant's retention).
    async fn prune_activity(&self, tenant_id: i64, before: Date) -> StoreResult<()>;
}

/// Invoice runs, documents, numbering, one-off lines, payments and credit.
#[async_trait]
pub trait InvoiceStore: Send + Sync {
    /// Periods that have had a run, ascending.
    async fn invoice_runs(&self, tenant_id: i64) -> StoreResult<Vec<String>>;
    /// Replaces the drafts of a period with new ones and records the run, in one
    /// transaction. Posted, paid and void documents are never touched, and a company that
    /// has a posted or voided invoice or a run credit note for the period (read inside the
    /// transaction) gets no new draft.
    async fn replace_drafts(
        &self,
        tenant_id: i64,
        period: &str,
        drafts: &[DocumentRecord],
        now: &str,
    ) -> StoreResult<RunWrite>;
    /// Document headers (no lines), newest first; filters are optional.
    async fn documents(
        &self,
        tenant_id: i64,
        period: Option<&str>,
        company_id: Option<i64>,
    ) -> StoreResult<Vec<DocumentRecord>>;
    /// Every document of a run's period with its lines (two queries, however many documents).
    async fn period_documents(
        &self,
        tenant_id: i64,
        period: &str,
    ) -> StoreResult<Vec<DocumentRecord>>;
    /// One document with its lines.
    async fn document(&self, tenant_id: i64, id: i64) -> StoreResult<DocumentRecord>;
    /// Document headers (no lines) of these ids, in id order, in one read; ids that do not
    /// exist are left out.
    async fn document_headers(
        &self,
        tenant_id: i64,
        ids: &[i64],
    ) -> StoreResult<Vec<DocumentRecord>>;
    async fn document_by_number(&self, tenant_id: i64, number: &str)
    -> StoreResult<DocumentRecord>;
    /// Lines of posted documents (any status but draft) whose line period is in [from, to],
    /// with their document's kind and credit reason: what billed(Q) is computed from.
    async fn posted_lines(
        &self,
        tenant_id: i64,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<unitbill_domain::document::PostedLine>>;
    /// Posts drafts, all or none, in one transaction: each takes the next number of its kind
    /// from the tenant's gapless sequence. A document that is not a draft (or does not exist)
    /// refuses the whole list; the database refuses a second posted invoice for a company and
    /// period.
    async fn post_documents(
        &self,
        tenant_id: i64,
        ids: &[i64],
        now: &str,
    ) -> StoreResult<Vec<DocumentRecord>>;
    /// Inserts a credit note and posts it at once; a void also marks its invoice void.
    async fn insert_posted_credit_note(
        &self,
        tenant_id: i64,
        note: &DocumentRecord,
        now: &str,
    ) -> StoreResult<DocumentRecord>;
    async fn add_one_off(
        &self,
        tenant_id: i64,
        one_off: &OneOffRecord,
        now: &str,
    ) -> StoreResult<OneOffRecord>;
    async fn one_offs(&self, tenant_id: i64, period: &str) -> StoreResult<Vec<OneOffRecord>>;
    /// Records a payment against a posted invoice in one transaction: reads what is open
    /// with the invoice locked, applies at most that (nothing on a voided invoice; the rest is
    /// credit balance) and sets the paid status.
    async fn record_payment(
        &self,
        tenant_id: i64,
        payment: &NewPayment,
        now: &str,
    ) -> StoreResult<PaymentRecord>;
    /// Applies the company's credit balance to a posted invoice (all that fits, or at most
    /// `wanted`) in one transaction; returns the amount applied.
    async fn apply_credit(
        &self,
        tenant_id: i64,
        document_id: i64,
        wanted: Option<rust_decimal::Decimal>,
        now: &str,
    ) -> StoreResult<rust_decimal::Decimal>;
    async fn payments(
        &self,
        tenant_id: i64,
        company_id: Option<i64>,
    ) -> StoreResult<Vec<PaymentRecord>>;
    async fn credit_applications(
        &self,
        tenant_id: i64,
        company_id: Option<i64>,
    ) -> StoreResult<Vec<CreditApplication>>;
}

/// Insight decisions (dismissed, resolved) and insights recorded by runs.
#[async_trait]
pub trait InsightStore: Send + Sync {
    /// Sets (or with `None` clears) the admin's decision on an insight.
    async fn set_insight_status(
        &self,
        tenant_id: i64,
        key: &str,
        status: Option<&str>,
        by: &str,
        now: &str,
    ) -> StoreResult<()>;
    /// Key -> status of every decided insight.
    async fn insight_statuses(&self, tenant_id: i64) -> StoreResult<Vec<(String, String)>>;
    async fn record_insight(&self, tenant_id: i64, insight: &RecordedInsight) -> StoreResult<()>;
    async fn recorded_insights(&self, tenant_id: i64) -> StoreResult<Vec<RecordedInsight>>;
    /// Per module, the latest day it sent a snapshot for.
    async fn last_snapshot_days(&self, tenant_id: i64) -> StoreResult<Vec<(String, Date)>>;
}

/// Web sessions and failed sign-in counters (shared by every process on the database).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Stores a new session and deletes the user's sessions expired at `now` (unix seconds).
    async fn create_session(&self, session: &NewSession, now: i64) -> StoreResult<()>;
    /// The session with this id (the hash of its secret), revoked or expired ones included.
    async fn session(&self, id: &str) -> StoreResult<Option<SessionRecord>>;
    /// Marks one session revoked (idempotent).
    async fn revoke_session(&self, id: &str, now: &str) -> StoreResult<()>;
    /// Sets a user's password hash, revokes every session of the user and stores `replacement`
    /// (the session that made the change, re-issued), in one transaction.
    async fn change_password(
        &self,
        tenant_id: i64,
        user_id: i64,
        password_hash: &str,
        now: &str,
        replacement: Option<&NewSession>,
    ) -> StoreResult<()>;
    /// The failure counters of the given keys (absent keys have none).
    async fn login_failures(
        &self,
        keys: &[(ThrottleScope, &str)],
    ) -> StoreResult<Vec<(ThrottleScope, String, LoginFailures)>>;
    /// Counts one failure of each key at `now`; a counter whose last failure is before
    /// `forget_before` starts again at one.
    async fn record_login_failure(
        &self,
        keys: &[(ThrottleScope, &str)],
        now: i64,
        forget_before: i64,
    ) -> StoreResult<()>;
    /// Forgets the failures of a key (a successful sign-in of the account).
    async fn clear_login_failures(&self, scope: ThrottleScope, key: &str) -> StoreResult<()>;
}

/// Everything unitbill stores.
pub trait Store:
    TenantStore + UsageStore + SetupStore + SyncStore + InvoiceStore + InsightStore + SessionStore
{
    /// `sqlite` or `postgres`, for logs.
    fn backend(&self) -> &'static str;
}

/// One snapshot to store (see [`UsageStore::put_snapshot`]).
pub struct PutSnapshot<'a> {
    pub tenant_id: i64,
    pub module_code: &'a str,
    pub date: Date,
    pub complete: bool,
    pub orgs: &'a [OrgReport],
    pub values: &'a [UsageValue],
    pub new_billing_types: &'a [BillingType],
    /// Who sent it (a module key id, `key:12`), for revisions.
    pub actor: &'a str,
    pub now: &'a str,
    /// A digest of a complete snapshot (its orgs and values, in a canonical order): the same
    /// snapshot sent again for the day is recognised by it and changes nothing. None for a
    /// partial one.
    pub body_hash: Option<&'a str>,
}

/// Opens the database named by `url` (`sqlite://path/file.db`, `sqlite::memory:`,
/// `postgres://...`) and brings its schema up to date.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sql::SqlStore::<sqlx::Sqlite>::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(sql::SqlStore::<sqlx::Postgres>::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_owned()))
    }
}
