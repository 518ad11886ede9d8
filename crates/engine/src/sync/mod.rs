//! The sync: turns received usage into the unit history and the activity log, day by day.
//!
//! It is idempotent and catches up: it recomputes every day from the earliest day whose data
//! or mappings changed (`resync_from`) or from the day after the last synced one, through the
//! requested date, replacing what was stored for those days. So a late snapshot re-flows, and
//! running a date twice stores the same state. A lease in the database keeps two processes
//! from syncing one tenant at once.

use std::collections::{BTreeMap, BTreeSet};

mod lease;

use jiff::ToSpan;
use jiff::civil::Date;
use serde::Serialize;
use unitbill_domain::setup::BillingSetup;
use unitbill_domain::units::{DayUnits, ModuleDay, UsageKey, activity_digest, compute_day};
use unitbill_domain::usage::UsageValue;
use unitbill_domain::usage_points::ModuleUsage;
use unitbill_store::{
    ActivityRecord, DatedUsage, SnapshotDay, SyncBatch, SyncedDay, Tenant, UnitRow, UnitSourceRow,
};

use crate::{Engine, EngineError, EngineResult};

/// Days written per transaction: a month of a large tenant stays a bounded batch.
const DAYS_PER_BATCH: usize = 7;

/// What a sync did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    /// First day recomputed (None: nothing to do).
    pub from: Option<String>,
    pub through: String,
    pub days: usize,
    /// Another process held the tenant's sync lease; nothing was done.
    pub busy: bool,
}

/// Effective values per module, carried from day to day.
type Effective = BTreeMap<String, BTreeMap<UsageKey, i64>>;

fn text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

impl Engine {
    /// Brings the tenant's unit history up to date through `through` (never past yesterday in
    /// the tenant's time zone), recomputing every day marked since, wherever it lies. Holds the
    /// tenant's sync lease meanwhile, renewed while it runs and released when it ends or fails.
    pub async fn sync_through(&self, tenant_id: i64, through: Date) -> EngineResult<SyncReport> {
        let tenant = self.store.tenant(tenant_id).await?;
        let yesterday = crate::tenants::tenant_today(self, &tenant)?
            .yesterday()
            .map_err(|e| EngineError::Conflict(e.to_string()))?;
        let through = through.min(yesterday);
        let Some(lease) = lease::SyncLease::acquire(self, tenant_id).await? else {
            return Ok(SyncReport {
                from: None,
                through: through.to_string(),
                days: 0,
                busy: true,
            });
        };
        let result = self.sync_locked(&tenant, through).await;
        lease.release().await?;
        result
    }

    /// "Sync now" from a request: the sync runs in its own task, so a client that disconnects
    /// (or a request that times out) does not cut it short; the caller still gets its report.
    pub async fn sync_now(&self, tenant_id: i64, through: Date) -> EngineResult<SyncReport> {
        let engine = self.clone();
        tokio::spawn(async move { engine.sync_through(tenant_id, through).await })
            .await
            .map_err(|e| EngineError::Conflict(format!("the sync task failed: {e}")))?
    }

    /// Passes over the pending days until none is left (a change that arrives while a pass
    /// runs is picked up by the next one; three passes at most, the rest waits for the next
    /// sync, still marked).
    async fn sync_locked(&self, tenant: &Tenant, through: Date) -> EngineResult<SyncReport> {
        let tenant_id = tenant.id;
        // Nothing before the tenant's history start: a contract dated years back is not walked.
        let history_start = crate::tenants::history_start(self, tenant)?;
        let mut from: Option<Date> = None;
        let mut days = 0;
        for _ in 0..3 {
            let Some((first, n)) = self.sync_pass(tenant_id, through, history_start).await? else {
                break;
            };
            from = Some(from.map_or(first, |f| f.min(first)));
            days += n;
        }
        let report = SyncReport {
            from: from.map(|d| d.to_string()),
            through: through.to_string(),
            days,
            busy: false,
        };
        if let Some(keep) = tenant.activity_retention_days {
            let today = crate::tenants::tenant_today(self, tenant)?;
            if let Ok(before) = today.checked_sub(keep.days()) {
                self.store.prune_activity(tenant_id, before).await?;
            }
        }
        tracing::info!(tenant_id, from = ?report.from, %through, days = report.days, "sync done");
        Ok(report)
    }

    /// One pass: computes every pending day (the recompute mark, or after the last synced day)
    /// through `through`, or through the last synced day if that is later, in batches that
    /// each commit with the sync state. None when nothing was pending.
    async fn sync_pass(
        &self,
        tenant_id: i64,
        through: Date,
        history_start: Date,
    ) -> EngineResult<Option<(Date, usize)>> {
        // Read the mark before any input: a change committed after this read bumps mark_seq,
        // and the batches then leave its mark in place.
        let state = self.store.sync_state(tenant_id).await?;
        let setup = self.load_setup(tenant_id).await?;
        // Nothing before the first usage or contract day can have units; a mapping change
        // effective from the start of history must not walk a century of empty days.
        let usage_start = self.store.first_usage_day(tenant_id).await?;
        let contract_start = setup.contracts.values().map(|c| c.days.start).min();
        let Some(earliest) = usage_start.into_iter().chain(contract_start).min() else {
            return Ok(None);
        };
        let earliest = earliest.max(history_start);
        let target = state.synced_through.map_or(through, |t| t.max(through));
        let first_day = state.first_pending_day().unwrap_or(earliest).max(earliest);
        if first_day > target {
            return Ok(None);
        }
        let before = first_day
            .yesterday()
            .map_err(|e| EngineError::Conflict(e.to_string()))?;
        let mut usage = self.usage_state_at(tenant_id, before).await?;
        let mut previous = compute_day(&setup, before, &module_days(&usage, &BTreeSet::new()));

        // The first batch also covers a mark set before the earliest day (nothing lives there).
        let mut covers_from = state.resync_from.map_or(first_day, |r| r.min(first_day));
        let mut day = first_day;
        let mut days = 0;
        while day <= target {
            let batch_end = (day + (DAYS_PER_BATCH as i64 - 1).days()).min(target);
            let headers = self.store.snapshot_days(tenant_id, day, batch_end).await?;
            let inputs = DayInputs::read(self, tenant_id, day, batch_end).await?;
            let mut batch = Vec::new();
            let mut d = day;
            while d <= batch_end {
                let today = advance_day(&setup, d, &headers, &inputs, &mut usage);
                batch.push(synced_day(&setup, &today, &previous));
                previous = today;
                days += 1;
                d = d
                    .tomorrow()
                    .map_err(|e| EngineError::Conflict(e.to_string()))?;
            }
            self.store
                .write_synced_days(
                    tenant_id,
                    &batch,
                    SyncBatch {
                        from: covers_from,
                        through: batch_end,
                        seen_mark_seq: state.mark_seq,
                    },
                )
                .await?;
            day = d;
            covers_from = d;
        }
        Ok(Some((first_day, days)))
    }

    /// Every module's effective values at the end of `day` (carry-forward applied).
    pub(crate) async fn effective_usage_at(
        &self,
        tenant_id: i64,
        day: Date,
    ) -> EngineResult<Effective> {
        Ok(self
            .usage_state_at(tenant_id, day)
            .await?
            .into_iter()
            .map(|(m, u)| (m, u.into_effective()))
            .collect())
    }

    /// Every module's usage at the end of `day`: the content of its latest complete day on
    /// or before it (the runs covering `day`), then the partial-only days after that one.
    async fn usage_state_at(&self, tenant_id: i64, day: Date) -> EngineResult<UsageState> {
        let Some(first) = self.store.first_usage_day(tenant_id).await? else {
            return Ok(UsageState::new());
        };
        if first > day {
            return Ok(UsageState::new());
        }
        let next = day
            .tomorrow()
            .map_err(|e| EngineError::Conflict(e.to_string()))?;
        let last_complete: BTreeMap<String, Date> = self
            .store
            .last_complete_days(tenant_id, next)
            .await?
            .into_iter()
            .collect();
        let mut content: BTreeMap<String, Vec<(UsageKey, i64)>> = last_complete
            .keys()
            .map(|m| (m.clone(), Vec::new()))
            .collect();
        for u in self.store.usage_content_at(tenant_id, day).await? {
            content.entry(u.module_code).or_default().push((
                (u.value.org_id, u.value.billing_type.as_str().to_owned()),
                u.value.quantity,
            ));
        }
        let mut state: UsageState = content
            .into_iter()
            .map(|(m, values)| (m, ModuleUsage::from_content(values)))
            .collect();
        let partials = self.store.partial_usage(tenant_id, first, day).await?;
        for ((d, m), listed) in group_by_day_and_module(&partials) {
            if last_complete.get(m).is_some_and(|c| d < *c) {
                continue;
            }
            state.entry(m.to_owned()).or_default().partial_day(&listed);
        }
        Ok(state)
    }
}

/// Usage of each module as the sync walks the days.
type UsageState = BTreeMap<String, ModuleUsage>;

/// A key's quantity from a complete day on (None: absent from that day on).
type ContentChange = (UsageKey, Option<i64>);

/// The usage inputs of a batch of days: how complete contents change on complete days, and
/// the listed values of partial-only days.
struct DayInputs {
    changes: BTreeMap<(Date, String), Vec<ContentChange>>,
    partials: BTreeMap<(Date, String), Vec<UsageValue>>,
}

impl DayInputs {
    async fn read(engine: &Engine, tenant_id: i64, from: Date, to: Date) -> EngineResult<Self> {
        let mut changes: BTreeMap<(Date, String), Vec<ContentChange>> = BTreeMap::new();
        for c in engine.store.usage_changes(tenant_id, from, to).await? {
            changes
                .entry((c.day, c.module_code))
                .or_default()
                .push(((c.org_id, c.billing_type), c.quantity));
        }
        let partials = engine.store.partial_usage(tenant_id, from, to).await?;
        let partials = group_by_day_and_module(&partials)
            .into_iter()
            .map(|((d, m), v)| ((d, m.to_owned()), v))
            .collect();
        Ok(Self { changes, partials })
    }
}

fn group_by_day_and_module(rows: &[DatedUsage]) -> BTreeMap<(Date, &str), Vec<UsageValue>> {
    let mut grouped: BTreeMap<(Date, &str), Vec<UsageValue>> = BTreeMap::new();
    for u in rows {
        grouped
            .entry((u.day, u.module_code.as_str()))
            .or_default()
            .push(u.value.clone());
    }
    grouped
}

/// Moves every module's usage on to day `d` (its snapshot, or carried forward) and computes
/// the day's units.
fn advance_day(
    setup: &BillingSetup,
    d: Date,
    headers: &[SnapshotDay],
    inputs: &DayInputs,
    usage: &mut UsageState,
) -> DayUnits {
    let mut reported = BTreeSet::new();
    for h in headers.iter().filter(|h| h.day == d) {
        let key = (d, h.module_code.clone());
        let module = usage.entry(h.module_code.clone()).or_default();
        if h.complete {
            let changes = inputs.changes.get(&key).into_iter().flatten().cloned();
            module.complete_day(changes);
        } else {
            module.partial_day(inputs.partials.get(&key).map_or(&[][..], Vec::as_slice));
        }
        reported.insert(h.module_code.clone());
    }
    compute_day(setup, d, &module_days(usage, &reported))
}

fn module_days(usage: &UsageState, reported: &BTreeSet<String>) -> Vec<ModuleDay> {
    usage
        .iter()
        .map(|(m, u)| ModuleDay {
            module: m.clone(),
            stale: !reported.contains(m),
            values: u.effective().clone(),
        })
        .collect()
}

fn synced_day(setup: &BillingSetup, today: &DayUnits, previous: &DayUnits) -> SyncedDay {
    let mut units = Vec::new();
    let mut sources = Vec::new();
    for (cs, sd) in &today.services {
        units.push(UnitRow {
            contract_service_id: *cs,
            day: today.day,
            units: sd.units,
            stale: sd.stale,
        });
        for s in &sd.sources {
            sources.push(UnitSourceRow {
                contract_service_id: *cs,
                day: today.day,
                module_code: s.module.clone(),
                org_id: s.org_id.clone(),
                billing_type: s.billing_type.clone(),
                quantity: s.quantity,
            });
        }
    }
    let activity = activity_digest(setup, today, Some(previous))
        .into_iter()
        .map(|a| ActivityRecord {
            day: a.day,
            module_code: a.module.clone(),
            billing_type: a.billing_type.clone(),
            company_id: a.company_id,
            contract_service_id: a.contract_service,
            status: text(&a.status),
            reason: a.reason.as_ref().map(text),
            units: a.units,
            previous_units: a.previous_units,
            amount_at_stake: a.amount_at_stake.map(|x| x.to_string()),
        })
        .collect();
    SyncedDay {
        day: Some(today.day),
        units,
        sources,
        activity,
    }
}

impl Engine {
    /// One pass of the scheduler: every tenant whose local clock has passed its sync hour is
    /// synced through yesterday (its time zone). Missed days are caught up in order by the
    /// sync itself, so a server that was down simply runs this on start.
    pub async fn run_due_syncs(&self) -> EngineResult<usize> {
        let mut synced = 0;
        for tenant in self.store.tenants().await? {
            let tz = crate::tenants::parse_time_zone(&tenant.time_zone)?;
            let local = self.clock.now().to_zoned_datetime(tz);
            if i64::from(local.hour()) < tenant.sync_hour {
                continue;
            }
            let yesterday = local
                .date()
                .yesterday()
                .map_err(|e| EngineError::Conflict(e.to_string()))?;
            match self.sync_through(tenant.id, yesterday).await {
                Ok(r) if r.days > 0 => synced += 1,
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(tenant = tenant.slug, error = %e, "scheduled sync failed")
                }
            }
        }
        Ok(synced)
    }
}
