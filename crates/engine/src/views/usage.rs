//! Views of connected modules, their keys, organizations and snapshots, and of the sync's
//! outputs: its state, the unit history and its sources, and the activity log.

use std::collections::BTreeMap;

use jiff::civil::Date;
use unitbill_store::{
    ActivityRecord, ConnectedModule, ModuleKey, ModuleOrg, StoredSnapshot, SyncState, UnitInterval,
    UnitRow, UnitSourceRow, UsageRevision,
};

use crate::{Engine, EngineError, EngineResult};

/// A module code given by a caller (a path or a query): one that cannot be a module's code is
/// refused naming `module`, before any query (PostgreSQL cannot even compare text with NUL).
fn module_code_checked(code: &str) -> EngineResult<&str> {
    unitbill_domain::catalog::ModuleCode::parse(code)
        .map_err(|e| EngineError::field("module", e.to_string()))?;
    Ok(code)
}

impl Engine {
    /// The modules the tenant connected (catalog and custom ones).
    pub async fn connected_modules(&self, tenant_id: i64) -> EngineResult<Vec<ConnectedModule>> {
        Ok(self.store.connected_modules(tenant_id).await?)
    }

    /// The tenant's module keys, revoked ones included (no secrets).
    pub async fn module_keys(&self, tenant_id: i64) -> EngineResult<Vec<ModuleKey>> {
        Ok(self.store.module_keys(tenant_id).await?)
    }

    /// The organizations modules reported, of one module or of all.
    pub async fn module_orgs(
        &self,
        tenant_id: i64,
        module_code: Option<&str>,
    ) -> EngineResult<Vec<ModuleOrg>> {
        let module_code = module_code.map(module_code_checked).transpose()?;
        Ok(self.store.module_orgs(tenant_id, module_code).await?)
    }

    /// The revisions of a module's usage of one day: each value a later snapshot changed, with
    /// who changed it and when.
    pub async fn usage_revisions(
        &self,
        tenant_id: i64,
        module_code: &str,
        date: Date,
    ) -> EngineResult<Vec<UsageRevision>> {
        let module_code = module_code_checked(module_code)?;
        Ok(self
            .store
            .usage_revisions(tenant_id, module_code, date)
            .await?)
    }

    /// The stored snapshot of a module for a day, if any (no key scope: for the tenant's own
    /// tools; a module reads its snapshots back with [`Engine::read_snapshot`]).
    pub async fn stored_snapshot(
        &self,
        tenant_id: i64,
        module_code: &str,
        date: Date,
    ) -> EngineResult<Option<StoredSnapshot>> {
        Ok(self.store.snapshot(tenant_id, module_code, date).await?)
    }

    /// Per module, the last day through `through` it sent a snapshot for, and whether that
    /// snapshot was complete. Empty before any module reported.
    pub async fn last_snapshots(
        &self,
        tenant_id: i64,
        through: Date,
    ) -> EngineResult<BTreeMap<String, (Date, bool)>> {
        let mut out = BTreeMap::new();
        let Some(first) = self.store.first_usage_day(tenant_id).await? else {
            return Ok(out);
        };
        for s in self.store.snapshot_days(tenant_id, first, through).await? {
            let e = out.entry(s.module_code).or_insert((s.day, s.complete));
            if s.day >= e.0 {
                *e = (s.day, s.complete);
            }
        }
        Ok(out)
    }

    /// How far the tenant's unit history is synced, and from which day it must be recomputed.
    pub async fn sync_state(&self, tenant_id: i64) -> EngineResult<SyncState> {
        Ok(self.store.sync_state(tenant_id).await?)
    }

    /// Units per contract service and day in [from, to], of one contract service or of all.
    pub async fn unit_history(
        &self,
        tenant_id: i64,
        contract_service_id: Option<i64>,
        from: Date,
        to: Date,
    ) -> EngineResult<Vec<UnitRow>> {
        Ok(self
            .store
            .unit_history(tenant_id, contract_service_id, from, to)
            .await?)
    }

    /// The units of every contract service in [from, to] as runs of days with the same units:
    /// a whole tenant's history without a row per service and day.
    pub async fn unit_intervals(
        &self,
        tenant_id: i64,
        from: Date,
        to: Date,
    ) -> EngineResult<Vec<UnitInterval>> {
        Ok(self
            .store
            .unit_intervals_for_services(tenant_id, i64::MIN, i64::MAX, from, to)
            .await?)
    }

    /// Where a contract service's units of each day in [from, to] came from (module, org,
    /// billing type).
    pub async fn unit_sources(
        &self,
        tenant_id: i64,
        contract_service_id: i64,
        from: Date,
        to: Date,
    ) -> EngineResult<Vec<UnitSourceRow>> {
        Ok(self
            .store
            .unit_sources(tenant_id, contract_service_id, from, to)
            .await?)
    }

    /// The sync's activity log for days in [from, to]; with `failed_only`, its failures only.
    pub async fn activity(
        &self,
        tenant_id: i64,
        from: Date,
        to: Date,
        failed_only: bool,
    ) -> EngineResult<Vec<ActivityRecord>> {
        Ok(self
            .store
            .activity(tenant_id, from, to, failed_only)
            .await?)
    }
}
