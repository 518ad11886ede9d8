//! Views of a tenant's billing setup: tax rates, companies, services, contracts and the
//! effective-dated logs (terms, mappings, module billing), in the order changes were made.

use unitbill_domain::invoice::TaxRate;
use unitbill_store::{
    CompanyRecord, ContractRecord, ContractServiceRecord, ModuleBillingChange, OrgMappingChange,
    ServiceMappingChange, ServiceRecord, TermsChange,
};

use crate::{Engine, EngineResult};

impl Engine {
    /// The tenant's tax rates.
    pub async fn tax_rates(&self, tenant_id: i64) -> EngineResult<Vec<TaxRate>> {
        Ok(self.store.tax_rates(tenant_id).await?)
    }

    /// Every company of the tenant.
    pub async fn companies(&self, tenant_id: i64) -> EngineResult<Vec<CompanyRecord>> {
        Ok(self.store.companies(tenant_id).await?)
    }

    /// The tenant's service catalog.
    pub async fn services(&self, tenant_id: i64) -> EngineResult<Vec<ServiceRecord>> {
        Ok(self.store.services(tenant_id).await?)
    }

    /// Every contract of the tenant, of all companies.
    pub async fn contracts(&self, tenant_id: i64) -> EngineResult<Vec<ContractRecord>> {
        Ok(self.store.contracts(tenant_id).await?)
    }

    /// Every contract service (a service on a contract) of the tenant.
    pub async fn contract_services(
        &self,
        tenant_id: i64,
    ) -> EngineResult<Vec<ContractServiceRecord>> {
        Ok(self.store.contract_services(tenant_id).await?)
    }

    /// The log of contract-service terms changes.
    pub async fn terms_changes(&self, tenant_id: i64) -> EngineResult<Vec<TermsChange>> {
        Ok(self.store.terms_changes(tenant_id).await?)
    }

    /// The log of org mapping changes (module org -> company, ignored or unmapped).
    pub async fn org_mapping_changes(&self, tenant_id: i64) -> EngineResult<Vec<OrgMappingChange>> {
        Ok(self.store.org_mapping_changes(tenant_id).await?)
    }

    /// The log of service mapping changes (billing type -> contract service, per contract).
    pub async fn service_mapping_changes(
        &self,
        tenant_id: i64,
    ) -> EngineResult<Vec<ServiceMappingChange>> {
        Ok(self.store.service_mapping_changes(tenant_id).await?)
    }

    /// The log of module billing changes (a module's usage billed or not).
    pub async fn module_billing_changes(
        &self,
        tenant_id: i64,
    ) -> EngineResult<Vec<ModuleBillingChange>> {
        Ok(self.store.module_billing_changes(tenant_id).await?)
    }
}
