//! Ingestion: a module pushes a daily snapshot with its module key.

use jiff::ToSpan;
use jiff::civil::Date;
use unitbill_domain::usage::{OrgReport, ResolvedSnapshot, Snapshot, UsageValue};
use unitbill_store::{ModuleKey, PutSnapshot, SnapshotOutcome, StoredSnapshot};

use crate::tenants::tenant_today;
use crate::{Engine, EngineError, EngineResult};

/// The body of a snapshot request, in one of the two documented forms.
pub enum SnapshotBody<'a> {
    Json(&'a serde_json::Value),
    Ndjson(&'a str),
    /// Already read, e.g. NDJSON parsed line by line while it arrived
    /// ([`unitbill_domain::usage::NdjsonReader`]).
    Read(Result<Snapshot, Vec<unitbill_domain::usage::FieldError>>),
}

/// Parses a `YYYY-MM-DD` date given by a person, a script or a module: in a path, a query or
/// a body. Its year must be a billing year (1900 to 2999, like billing periods), so no stored
/// date is one that later arithmetic (the next day, the next period) cannot reach.
pub fn parse_date(field: &str, s: &str) -> EngineResult<Date> {
    let ok = s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    let (first, last) = unitbill_domain::period::BILLING_YEARS;
    match s.parse::<Date>() {
        Ok(d) if ok && (first..=last).contains(&d.year()) => Ok(d),
        Ok(_) if ok => Err(EngineError::field(
            field,
            format!("{s:?} is out of range: dates are from {first}-01-01 to {last}-12-31"),
        )),
        _ => Err(EngineError::field(
            field,
            format!("{s:?} is not a date of the form YYYY-MM-DD"),
        )),
    }
}

/// A digest of a snapshot's orgs and values in a canonical order (by org id, then billing
/// type), so the same snapshot sent again, in any order, is recognised without reading the
/// stored day back. Each field is length-prefixed: no two snapshots share an encoding.
fn snapshot_digest(snapshot: &ResolvedSnapshot) -> String {
    use sha2::{Digest, Sha256};
    fn field(h: &mut Sha256, s: &str) {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    let mut h = Sha256::new();
    let mut orgs: Vec<&OrgReport> = snapshot.orgs.iter().collect();
    orgs.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    h.update((orgs.len() as u64).to_le_bytes());
    for o in orgs {
        field(&mut h, &o.id);
        field(&mut h, &o.name);
        match &o.parent_id {
            Some(p) => {
                h.update([1]);
                field(&mut h, p);
            }
            None => h.update([0]),
        }
    }
    let mut values: Vec<&UsageValue> = snapshot.values.iter().collect();
    values.sort_unstable_by(|a, b| {
        (a.org_id.as_str(), a.billing_type.as_str())
            .cmp(&(b.org_id.as_str(), b.billing_type.as_str()))
    });
    h.update((values.len() as u64).to_le_bytes());
    for v in values {
        field(&mut h, &v.org_id);
        field(&mut h, v.billing_type.as_str());
        h.update(v.quantity.to_le_bytes());
    }
    hex::encode(h.finalize())
}

impl Engine {
    fn check_key_scope(key: &ModuleKey, module_code: &str) -> EngineResult<()> {
        if key.module_code != module_code {
            return Err(EngineError::Forbidden(format!(
                "this key writes only module {:?}, not {module_code:?}",
                key.module_code
            )));
        }
        Ok(())
    }

    /// Stores a module's snapshot for one date: all or nothing.
    pub async fn ingest_snapshot(
        &self,
        key: &ModuleKey,
        module_code: &str,
        date: &str,
        body: SnapshotBody<'_>,
    ) -> EngineResult<SnapshotOutcome> {
        Self::check_key_scope(key, module_code)?;
        let date = parse_date("date", date)?;
        let tenant = self.store.tenant(key.tenant_id).await?;
        let today = tenant_today(self, &tenant)?;
        let tomorrow = today
            .checked_add(1.day())
            .map_err(|e| EngineError::field("date", e.to_string()))?;
        if date > tomorrow {
            return Err(EngineError::field(
                "date",
                format!("{date} is later than tomorrow ({tomorrow}) in the tenant's time zone"),
            ));
        }
        let start = crate::tenants::history_start(self, &tenant)?;
        if date < start {
            return Err(EngineError::field(
                "date",
                format!(
                    "{date} is before the tenant's history start ({start}: 24 months before it \
                     was created, or its retention)"
                ),
            ));
        }
        let snapshot = match body {
            SnapshotBody::Json(v) => Snapshot::parse(v),
            SnapshotBody::Ndjson(text) => Snapshot::parse_ndjson(text),
            SnapshotBody::Read(read) => read,
        }
        .map_err(EngineError::Invalid)?;
        let module = self.module_definition(tenant.id, module_code).await?;
        let resolved = snapshot.resolve(&module).map_err(EngineError::Invalid)?;
        let actor = format!("module-key:{}", key.id);
        let now = self.now_text();
        let body_hash = resolved.complete.then(|| snapshot_digest(&resolved));
        let outcome = self
            .store
            .put_snapshot(&PutSnapshot {
                tenant_id: tenant.id,
                module_code,
                date,
                complete: resolved.complete,
                orgs: &resolved.orgs,
                values: &resolved.values,
                new_billing_types: &resolved.new_billing_types,
                actor: &actor,
                now: &now,
                body_hash: body_hash.as_deref(),
            })
            .await?;
        tracing::info!(
            tenant = tenant.slug,
            module = module_code,
            %date,
            changed = outcome.changed,
            values = resolved.values.len(),
            revisions = outcome.revisions,
            new_orgs = outcome.new_orgs,
            "snapshot stored"
        );
        Ok(outcome)
    }

    /// Reads a stored snapshot back (module-key scope applies).
    pub async fn read_snapshot(
        &self,
        key: &ModuleKey,
        module_code: &str,
        date: &str,
    ) -> EngineResult<StoredSnapshot> {
        Self::check_key_scope(key, module_code)?;
        let date = parse_date("date", date)?;
        self.store
            .snapshot(key.tenant_id, module_code, date)
            .await?
            .ok_or_else(|| {
                EngineError::NotFound(format!("no snapshot of {module_code} for {date}"))
            })
    }
}
