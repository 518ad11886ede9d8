//! Bulk loads: records stored as given, without the checks (and the reads they cost) of the
//! setup and mapping use cases. For benchmarks and fixtures that build large tenants from
//! records known to be valid; everything else goes through `save_company`, `map_orgs`, ...

use unitbill_store::{
    CompanyRecord, ContractRecord, ContractServiceRecord, OrgMappingChange, ServiceMappingChange,
    ServiceRecord, TermsChange,
};

use crate::{Engine, EngineResult};

impl Engine {
    /// Stores a new service (`id` 0) as given.
    pub async fn load_service(
        &self,
        tenant_id: i64,
        service: &ServiceRecord,
    ) -> EngineResult<ServiceRecord> {
        Ok(self.store.create_service(tenant_id, service).await?)
    }

    /// Stores a company as given: created with `id` 0, else updated.
    pub async fn load_company(
        &self,
        tenant_id: i64,
        company: &CompanyRecord,
        now: &str,
    ) -> EngineResult<CompanyRecord> {
        Ok(self.store.save_company(tenant_id, company, now).await?)
    }

    /// Stores a contract as given: created with `id` 0, else updated.
    pub async fn load_contract(
        &self,
        tenant_id: i64,
        contract: &ContractRecord,
        now: &str,
    ) -> EngineResult<ContractRecord> {
        Ok(self.store.save_contract(tenant_id, contract, now).await?)
    }

    /// Stores a contract service with its first terms, in one transaction.
    pub async fn load_contract_service(
        &self,
        tenant_id: i64,
        cs: &ContractServiceRecord,
        terms: &TermsChange,
    ) -> EngineResult<ContractServiceRecord> {
        Ok(self
            .store
            .add_contract_service(tenant_id, cs, terms)
            .await?)
    }

    /// Appends a service mapping change as given.
    pub async fn load_service_mapping_change(
        &self,
        tenant_id: i64,
        change: &ServiceMappingChange,
    ) -> EngineResult<()> {
        Ok(self
            .store
            .add_service_mapping_change(tenant_id, change)
            .await?)
    }

    /// Appends org mapping changes as given, in one transaction.
    pub async fn load_org_mapping_changes(
        &self,
        tenant_id: i64,
        changes: &[OrgMappingChange],
    ) -> EngineResult<()> {
        Ok(self
            .store
            .add_org_mapping_changes(tenant_id, changes)
            .await?)
    }
}
