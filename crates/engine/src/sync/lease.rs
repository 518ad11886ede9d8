//! The tenant's sync lease: one holder at a time across every process on the database.
//!
//! The lease is short (a minute) and renewed by a task while its sync runs, so a sync of any
//! length keeps it and a holder that dies frees it within a minute. It is released when the
//! sync ends, whether it succeeded or failed; a sync future dropped midway stops renewing
//! and its lease simply expires.

use std::time::Duration;

use jiff::ToSpan;
use tokio::task::JoinHandle;

use crate::{Engine, EngineResult};

/// How long a lease lasts without renewal.
const LEASE_SECONDS: i64 = 60;
/// How often a running sync renews it (a third of its life: two renewals may fail).
const RENEW_EVERY: Duration = Duration::from_secs(20);

/// A held lease; renewed in the background until released or dropped.
pub(super) struct SyncLease {
    engine: Engine,
    tenant_id: i64,
    holder: String,
    renewal: JoinHandle<()>,
}

impl SyncLease {
    /// Takes the tenant's lease if it is free or expired; None if another holder has it.
    pub(super) async fn acquire(engine: &Engine, tenant_id: i64) -> EngineResult<Option<Self>> {
        let holder = format!("{}-{}", std::process::id(), rand::random::<u32>());
        let now = engine.clock.now();
        let expires = now + LEASE_SECONDS.seconds();
        if !engine
            .store
            .acquire_sync_lease(tenant_id, &holder, &now.to_string(), &expires.to_string())
            .await?
        {
            return Ok(None);
        }
        let renewal = tokio::spawn(renew(engine.clone(), tenant_id, holder.clone()));
        Ok(Some(Self {
            engine: engine.clone(),
            tenant_id,
            holder,
            renewal,
        }))
    }

    /// Stops renewing and frees the lease.
    pub(super) async fn release(self) -> EngineResult<()> {
        self.renewal.abort();
        self.engine
            .store
            .release_sync_lease(self.tenant_id, &self.holder)
            .await?;
        Ok(())
    }
}

impl Drop for SyncLease {
    fn drop(&mut self) {
        // A sync cut short (its future dropped) stops renewing; the lease then expires.
        self.renewal.abort();
    }
}

async fn renew(engine: Engine, tenant_id: i64, holder: String) {
    loop {
        tokio::time::sleep(RENEW_EVERY).await;
        let expires = engine.clock.now() + LEASE_SECONDS.seconds();
        match engine
            .store
            .renew_sync_lease(tenant_id, &holder, &expires.to_string())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::error!(
                    tenant_id,
                    holder,
                    "sync lease lost: another process took it"
                );
                return;
            }
            Err(e) => tracing::warn!(tenant_id, error = %e, "sync lease renewal failed; retrying"),
        }
    }
}
