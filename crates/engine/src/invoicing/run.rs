//! The invoice run that closes a period.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Serialize;
use unitbill_domain::billing::{Billed, OneOff, RunInput, UnitData, due_amount, run_documents};
use unitbill_domain::document::{Document, net_billed};
use unitbill_domain::period::Period;
use unitbill_domain::rules::Timing;
use unitbill_domain::setup::BillingSetup;
use unitbill_domain::units::{ModuleDay, compute_day};
use unitbill_store::{DocumentRecord, UnitRow, UnitSourceRow};

use crate::{Engine, EngineError, EngineResult};

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub period: String,
    pub billing_start: String,
    pub documents: Vec<DocumentRecord>,
    /// Contract services that could not be billed, with why.
    pub problems: Vec<String>,
    /// Companies skipped because they already have a posted or voided document for the period.
    pub skipped_companies: Vec<i64>,
    pub posted: usize,
}

/// The days and module orgs behind one line.
#[derive(Debug, Clone, Serialize)]
pub struct LineExplanation {
    pub contract_service_id: i64,
    pub period: String,
    pub days: Vec<UnitRow>,
    pub sources: Vec<UnitSourceRow>,
}

fn period_of(s: &str) -> EngineResult<Period> {
    Period::parse_billing(s).map_err(|e| EngineError::field("period", e.to_string()))
}

impl Engine {
    /// Makes (or regenerates) the drafts of the run closing `period`, after bringing the sync up
    /// to date through its last day; with `post`, posts them.
    pub async fn invoice_run(
        &self,
        tenant_id: i64,
        period: &str,
        post: bool,
    ) -> EngineResult<RunReport> {
        // Phase timings go to the debug log: what `unitbill bench` profiles are read from.
        let started = std::time::Instant::now();
        let p = period_of(period)?;
        let tenant = self.store.tenant(tenant_id).await?;
        let runs = self.store.invoice_runs(tenant_id).await?;
        if let Some(later) = runs.iter().find(|r| r.as_str() > period) {
            return Err(EngineError::Conflict(format!(
                "the run of {later} has been made: runs go in period order, {p} cannot be run now"
            )));
        }
        let drafts_before: Vec<String> = self
            .store
            .documents(tenant_id, None, None)
            .await?
            .into_iter()
            .filter(|d| d.is_draft() && d.period.as_str() < period)
            .map(|d| d.period)
            .collect();
        if let Some(earlier) = drafts_before.first() {
            return Err(EngineError::Conflict(format!(
                "{earlier} still has drafts: post or regenerate them before running {p}"
            )));
        }
        let billing_start = match &tenant.billing_start {
            Some(b) => period_of(b)?,
            None => {
                self.store
                    .set_billing_start(tenant_id, Some(&p.to_string()))
                    .await?;
                p
            }
        };
        // A preview of a period that is not over syncs only through yesterday: days to come
        // have no usage yet and must not be stored as carried forward.
        let yesterday = crate::tenants::tenant_today(self, &tenant)?
            .yesterday()
            .map_err(|e| EngineError::Conflict(e.to_string()))?;
        let sync = self
            .sync_through(tenant_id, p.last_day().min(yesterday))
            .await?;
        if sync.busy {
            return Err(EngineError::Conflict(
                "another process is syncing this tenant; try again in a moment".into(),
            ));
        }

        tracing::debug!(elapsed = ?started.elapsed(), "invoice run: synced");
        let setup = self.load_setup(tenant_id).await?;
        tracing::debug!(elapsed = ?started.elapsed(), "invoice run: setup loaded");
        let lookback = u32::try_from(tenant.lookback_periods.max(0)).unwrap_or(3);
        let first = p.add_months(-(lookback as i32));
        let last = p.next();
        // One period more than the lookback, to tell the admin about corrections that will
        // no longer be billed or credited.
        let beyond = first.prev();
        let advance_counts = self.advance_counts(tenant_id, &setup, beyond, last).await?;
        let billed = self.billed(tenant_id, beyond, last).await?;
        let one_offs: Vec<OneOff> = self
            .store
            .one_offs(tenant_id, &p.to_string())
            .await?
            .into_iter()
            .map(|o| OneOff {
                company_id: o.company_id,
                description: o.description,
                quantity: o.quantity,
                unit_price: o.unit_price,
                taxable: o.taxable,
            })
            .collect();
        let existing = self
            .store
            .documents(tenant_id, Some(&p.to_string()), None)
            .await?;
        // A posted or voided invoice, or a run credit note, closes a company's period; a
        // goodwill credit note never does. The store checks again inside its transaction.
        let skip: HashSet<i64> = existing
            .iter()
            .filter(|d| d.closes_company_period())
            .map(|d| d.company_id)
            .collect();

        tracing::debug!(elapsed = ?started.elapsed(), "invoice run: counts, billed and existing documents read");
        // Invoice companies in batches: each batch reads only its contract services' unit
        // history, so memory stays bounded however many companies the tenant has.
        let mut records: Vec<DocumentRecord> = Vec::new();
        let mut problems = Vec::new();
        for batch in company_batches(&setup) {
            let sub = sub_setup(&setup, &batch);
            let mut units = self.daily_units(tenant_id, &sub, beyond, last).await?;
            units.advance_counts = advance_counts
                .iter()
                .filter(|((cs, _), _)| sub.contract_services.contains_key(cs))
                .map(|(k, v)| (*k, *v))
                .collect();
            let batch_one_offs: Vec<OneOff> = one_offs
                .iter()
                .filter(|o| sub.companies.contains_key(&o.company_id))
                .cloned()
                .collect();
            let output = run_documents(&RunInput {
                setup: &sub,
                closing: p,
                billing_start,
                lookback,
                units: &units,
                billed: &billed,
                one_offs: &batch_one_offs,
                skip_companies: &skip,
            });
            self.record_corrections_beyond_lookback(
                tenant_id,
                &sub,
                beyond,
                billing_start,
                &units,
                &billed,
            )
            .await?;
            records.extend(output.documents.iter().map(Document::from_draft));
            problems.extend(output.problems.iter().map(ToString::to_string));
        }
        tracing::debug!(elapsed = ?started.elapsed(), "invoice run: drafts computed");
        // All drafts of the run replace the old ones in one transaction: a crash or a
        // concurrent post never leaves half a run.
        let written = self
            .store
            .replace_drafts(tenant_id, &p.to_string(), &records, &self.now_text())
            .await?;
        let ids = written.draft_ids;
        tracing::debug!(elapsed = ?started.elapsed(), "invoice run: drafts written");
        let posted = if post {
            Some(self.post_documents(tenant_id, &ids).await?)
        } else {
            None
        };
        // The report's documents are the drafts as written (the store gave their ids in
        // order), or as posted: no read of the whole period back.
        let documents: Vec<DocumentRecord> = match posted {
            Some(posted) => posted,
            None => {
                let skipped: HashSet<i64> = written.skipped_companies.iter().copied().collect();
                let mut written_drafts: Vec<DocumentRecord> = records
                    .into_iter()
                    .filter(|d| !skipped.contains(&d.company_id))
                    .zip(&ids)
                    .map(|(d, id)| DocumentRecord { id: *id, ..d })
                    .collect();
                written_drafts.sort_by_key(|d| d.id);
                written_drafts
            }
        };
        let posted = if post { documents.len() } else { 0 };
        let mut skipped_companies: Vec<i64> =
            skip.into_iter().chain(written.skipped_companies).collect();
        skipped_companies.sort_unstable();
        skipped_companies.dedup();
        tracing::info!(tenant = tenant.slug, period = %p, documents = documents.len(), posted, "invoice run");
        Ok(RunReport {
            period: p.to_string(),
            billing_start: billing_start.to_string(),
            documents,
            problems,
            skipped_companies,
            posted,
        })
    }

    /// A period just beyond the lookback whose amount due changed after it was billed: the
    /// difference will never be billed or credited, so the admin hears of it.
    async fn record_corrections_beyond_lookback(
        &self,
        tenant_id: i64,
        setup: &BillingSetup,
        q: Period,
        billing_start: Period,
        units: &UnitData,
        billed: &Billed,
    ) -> EngineResult<()> {
        for cs in setup.contract_services.values() {
            let Some(contract) = setup.contracts.get(&cs.contract_id) else {
                continue;
            };
            let bound = if contract.timing == Timing::Advance {
                billing_start.next()
            } else {
                billing_start
            };
            if q < bound {
                continue;
            }
            let due = due_amount(setup, cs, q, units);
            let was = billed.get(&(cs.id, q)).copied().unwrap_or_default();
            if due == was {
                continue;
            }
            let company = setup.companies.get(&contract.company_id);
            self.store
                .record_insight(
                    tenant_id,
                    &unitbill_store::RecordedInsight {
                        key: format!("correction_beyond_lookback:{}:{q}", cs.id),
                        kind: "correction_beyond_lookback".into(),
                        title: format!("{q} changed beyond the lookback: {} {} will not be settled", due - was, contract.currency),
                        detail: format!(
                            "{}: {} for {q} is now due {due}, billed {was}; {q} is older than the lookback, so no adjustment is made.",
                            company.map_or("?", |c| c.name.as_str()),
                            cs.description
                        ),
                        amount: Some((due - was).to_string()),
                        company_id: Some(contract.company_id),
                        recorded_at: self.now_text(),
                    },
                )
                .await?;
        }
        Ok(())
    }

    /// Daily units per (contract service, period) of the batch's contract services, and the
    /// periods resting on stale days.
    async fn daily_units(
        &self,
        tenant_id: i64,
        sub: &BillingSetup,
        first: Period,
        last: Period,
    ) -> EngineResult<UnitData> {
        let mut data = UnitData::default();
        let (Some(lo), Some(hi)) = (
            sub.contract_services.keys().next(),
            sub.contract_services.keys().next_back(),
        ) else {
            return Ok(data);
        };
        // Intervals, not a row per day: a service whose units did not change all month is one
        // value to spread over its days.
        for run in self
            .store
            .unit_intervals_for_services(tenant_id, *lo, *hi, first.first_day(), last.last_day())
            .await?
        {
            if !sub.contract_services.contains_key(&run.contract_service_id) {
                continue;
            }
            let mut q = Period::of(run.first);
            while q.first_day() <= run.last {
                let days = data
                    .daily
                    .entry((run.contract_service_id, q))
                    .or_insert_with(|| vec![Decimal::ZERO; q.days() as usize]);
                let (Some(a), Some(b)) = (
                    q.day_index(run.first.max(q.first_day())),
                    q.day_index(run.last.min(q.last_day())),
                ) else {
                    break;
                };
                days[a..=b].fill(run.units);
                if run.stale {
                    data.stale.insert((run.contract_service_id, q));
                }
                let Some(next) = q.checked_next() else { break };
                q = next;
            }
        }
        Ok(data)
    }

    /// V(Q) of advance contracts: mappings in force on Q's first day inside the contract,
    /// quantities of the day before. One computation per distinct first day, shared by all
    /// contract services.
    async fn advance_counts(
        &self,
        tenant_id: i64,
        setup: &BillingSetup,
        first: Period,
        last: Period,
    ) -> EngineResult<HashMap<(i64, Period), Decimal>> {
        let mut counts = HashMap::new();
        let mut firsts: BTreeMap<Date, Vec<(i64, Period)>> = BTreeMap::new();
        for cs in setup.contract_services.values() {
            let Some(contract) = setup.contracts.get(&cs.contract_id) else {
                continue;
            };
            if contract.timing != Timing::Advance {
                continue;
            }
            let mut q = first;
            while q <= last {
                if let Some(f) = contract
                    .days
                    .first_active_day(q)
                    .map(|f| f.max(cs.active_from))
                    .filter(|f| q.contains(*f))
                {
                    firsts.entry(f).or_default().push((cs.id, q));
                }
                q = q.next();
            }
        }
        for (f, targets) in firsts {
            let before = f
                .yesterday()
                .map_err(|e| EngineError::Conflict(e.to_string()))?;
            let effective = self.effective_usage_at(tenant_id, before).await?;
            let usage: Vec<ModuleDay> = effective
                .into_iter()
                .map(|(module, values)| ModuleDay {
                    module,
                    stale: false,
                    values,
                })
                .collect();
            let day = compute_day(setup, f, &usage);
            for (cs, q) in targets {
                let v = day.services.get(&cs).map_or(Decimal::ZERO, |s| s.units);
                counts.insert((cs, q), v);
            }
        }
        Ok(counts)
    }

    /// billed(Q): posted invoice lines less the lines of void and run credit notes.
    async fn billed(&self, tenant_id: i64, first: Period, last: Period) -> EngineResult<Billed> {
        let posted = self
            .store
            .posted_lines(tenant_id, &first.to_string(), &last.to_string())
            .await?;
        net_billed(&posted).map_err(|e| EngineError::field("period", e.to_string()))
    }

    /// The daily units and module orgs behind a document line.
    pub async fn explain_line(
        &self,
        tenant_id: i64,
        document_id: i64,
        line_no: i64,
    ) -> EngineResult<LineExplanation> {
        let doc = self.store.document(tenant_id, document_id).await?;
        let line = doc
            .lines
            .iter()
            .find(|l| l.line_no == line_no)
            .ok_or_else(|| {
                EngineError::NotFound(format!("line {line_no} of document {document_id}"))
            })?;
        let cs = line
            .contract_service_id
            .ok_or_else(|| EngineError::Conflict("a one-off line has no daily units".into()))?;
        let q = period_of(&line.period)?;
        Ok(LineExplanation {
            contract_service_id: cs,
            period: q.to_string(),
            days: self
                .store
                .unit_history(tenant_id, Some(cs), q.first_day(), q.last_day())
                .await?,
            sources: self
                .store
                .unit_sources(tenant_id, cs, q.first_day(), q.last_day())
                .await?,
        })
    }
}

/// Companies this many invoice companies at a time (children travel with their bill-to parent).
const BATCH_COMPANIES: usize = 500;

fn company_batches(setup: &BillingSetup) -> Vec<Vec<i64>> {
    let mut groups: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for c in setup.companies.values() {
        let invoice_company = c
            .bill_to
            .filter(|p| *p != c.id && setup.companies.contains_key(p))
            .unwrap_or(c.id);
        groups.entry(invoice_company).or_default().push(c.id);
    }
    let groups: Vec<Vec<i64>> = groups.into_values().collect();
    let mut batches: Vec<Vec<i64>> = groups.chunks(BATCH_COMPANIES).map(|g| g.concat()).collect();
    if batches.is_empty() {
        batches.push(Vec::new());
    }
    batches
}

/// The part of the setup the run reads (companies, contracts, contract services) for a batch.
fn sub_setup(setup: &BillingSetup, companies: &[i64]) -> BillingSetup {
    let wanted: HashSet<i64> = companies.iter().copied().collect();
    let companies = setup
        .companies
        .iter()
        .filter(|(id, _)| wanted.contains(id))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    let contracts: BTreeMap<_, _> = setup
        .contracts
        .iter()
        .filter(|(_, c)| wanted.contains(&c.company_id))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    let contract_services = setup
        .contract_services
        .iter()
        .filter(|(_, cs)| contracts.contains_key(&cs.contract_id))
        .map(|(k, v)| (*k, v.clone()))
        .collect();
    BillingSetup {
        companies,
        contracts,
        contract_services,
        ..BillingSetup::default()
    }
}
