//! Mapping: module organizations to companies, billing types to contract services, billing
//! enabled per module, and suggestions for unmapped organizations. Every change takes effect
//! from a date (default: the first day of the open period) and is kept in a log.

use std::collections::BTreeSet;

use jiff::civil::Date;
use serde::Serialize;
use unitbill_domain::matching::{CompanyCandidate, MappedOrg, Matcher};
use unitbill_domain::setup::{BillingSetup, BillingTypeKey, OrgAssignment};
use unitbill_store::{Changed, ModuleBillingChange, OrgMappingChange, ServiceMappingChange};

use crate::setup::{Problems, date};
use crate::{Engine, EngineError, EngineResult};

/// One org mapping change as an admin asks for it.
#[derive(Debug, Clone)]
pub struct OrgMappingInput {
    pub module: String,
    pub org_id: String,
    /// `mapped` (with `company_id`), `ignored` or `unmapped`.
    pub state: String,
    pub company_id: Option<i64>,
    /// Default: the first day of the open period.
    pub effective_from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ServiceMappingInput {
    pub module: String,
    pub billing_type: String,
    /// The contract service to bill; null unmaps.
    pub contract_service_id: Option<i64>,
    pub effective_from: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ModuleBillingInput {
    pub enabled: bool,
    pub effective_from: Option<String>,
}

/// A suggested company for an unmapped org.
#[derive(Debug, Clone, Serialize)]
pub struct OrgSuggestion {
    pub module: String,
    pub org_id: String,
    pub org_name: String,
    pub parent_id: Option<String>,
    pub candidates: Vec<Candidate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Candidate {
    pub company_id: i64,
    pub company_name: String,
    pub confidence: f64,
    pub reason: String,
}

impl Engine {
    async fn effective(&self, tenant_id: i64, given: &Option<String>) -> EngineResult<Date> {
        match given {
            Some(s) => date("effective_from", s),
            None => self.default_effective_date(tenant_id).await,
        }
    }

    /// Applies org mapping changes, all or none. Dead and cancelled companies cannot be newly
    /// mapped; orgs must have been reported by their module.
    pub async fn map_orgs(
        &self,
        tenant_id: i64,
        inputs: &[OrgMappingInput],
        actor: &str,
    ) -> EngineResult<Vec<OrgMappingChange>> {
        let companies = self.store.companies(tenant_id).await?;
        let orgs = self.store.module_orgs(tenant_id, None).await?;
        let mut p = Problems::default();
        let mut changes = Vec::new();
        for (i, input) in inputs.iter().enumerate() {
            let at = |f: &str| {
                if inputs.len() == 1 {
                    f.to_owned()
                } else {
                    format!("[{i}].{f}")
                }
            };
            if !orgs.iter().any(|o| o.module_code == input.module) {
                p.add(
                    &at("module"),
                    format!("no org of module {:?} has been reported", input.module),
                );
            } else if !orgs
                .iter()
                .any(|o| o.module_code == input.module && o.org_id == input.org_id)
            {
                p.add(
                    &at("org_id"),
                    format!(
                        "module {} has not reported an org {:?}",
                        input.module, input.org_id
                    ),
                );
                continue;
            }
            let assignment = match (input.state.as_str(), input.company_id) {
                ("mapped", Some(id)) => {
                    match companies.iter().find(|c| c.id == id) {
                        None => {
                            p.add(&at("company_id"), format!("company {id} does not exist"));
                            continue;
                        }
                        Some(c) if !c.status.accepts_new_mappings() => {
                            p.add(&at("company_id"), format!("{:?} is {}: dead and cancelled companies cannot be newly mapped", c.name, c.status.as_str()));
                            continue;
                        }
                        Some(c) => OrgAssignment::Mapped(c.id),
                    }
                }
                ("mapped", None) => {
                    p.add(&at("company_id"), "is required to map an org");
                    continue;
                }
                ("ignored", _) => OrgAssignment::Ignored,
                ("unmapped", _) => OrgAssignment::Unmapped,
                _ => {
                    p.add(&at("state"), "must be mapped, ignored or unmapped");
                    continue;
                }
            };
            let effective_from = match self.effective(tenant_id, &input.effective_from).await {
                Ok(d) => d,
                Err(_) => {
                    p.add(&at("effective_from"), "must be a date YYYY-MM-DD");
                    continue;
                }
            };
            changes.push(OrgMappingChange {
                module_code: input.module.clone(),
                org_id: input.org_id.clone(),
                effective_from,
                assignment,
                changed: Changed {
                    by: actor.to_owned(),
                    at: self.now_text(),
                },
            });
        }
        p.finish()?;
        self.store
            .add_org_mapping_changes(tenant_id, &changes)
            .await?;
        Ok(changes)
    }

    /// Maps a (module, billing type) of a contract to one of its contract services.
    pub async fn map_service(
        &self,
        tenant_id: i64,
        contract_id: i64,
        input: &ServiceMappingInput,
        actor: &str,
    ) -> EngineResult<ServiceMappingChange> {
        let mut setup = self.load_setup(tenant_id).await?;
        let contract = setup
            .contracts
            .get(&contract_id)
            .cloned()
            .ok_or_else(|| EngineError::NotFound(format!("contract {contract_id}")))?;
        let module = self
            .module_definition(tenant_id, &input.module)
            .await
            .map_err(|_| {
                EngineError::field("module", format!("unknown module {:?}", input.module))
            })?;
        if module.billing_type(&input.billing_type).is_none() {
            return Err(EngineError::field(
                "billing_type",
                format!(
                    "module {} has no billing type {:?}",
                    input.module, input.billing_type
                ),
            ));
        }
        if let Some(cs_id) = input.contract_service_id {
            match setup.contract_services.get(&cs_id) {
                Some(cs) if cs.contract_id == contract_id => {}
                _ => {
                    return Err(EngineError::field(
                        "contract_service_id",
                        format!("contract service {cs_id} is not on contract {contract_id}"),
                    ));
                }
            }
        }
        let from = self.effective(tenant_id, &input.effective_from).await?;
        let key = BillingTypeKey {
            module: input.module.clone(),
            billing_type: input.billing_type.clone(),
        };
        setup
            .service_mappings
            .entry(contract_id)
            .or_default()
            .entry(key.clone())
            .or_default()
            .set_from(from, input.contract_service_id);
        if input.contract_service_id.is_some()
            && let Some(day) = double_billed_day(&setup, contract.company_id, &key, from)
        {
            return Err(EngineError::field(
                "billing_type",
                format!(
                    "{}/{} would be billed twice for this company on {day}: another active contract maps it",
                    key.module, key.billing_type
                ),
            ));
        }
        let change = ServiceMappingChange {
            contract_id,
            module_code: key.module,
            billing_type: key.billing_type,
            effective_from: from,
            contract_service_id: input.contract_service_id,
            changed: Changed {
                by: actor.to_owned(),
                at: self.now_text(),
            },
        };
        self.store
            .add_service_mapping_change(tenant_id, &change)
            .await?;
        Ok(change)
    }

    /// Turns billing on or off for a connected module from a date.
    pub async fn set_module_billing(
        &self,
        tenant_id: i64,
        module: &str,
        input: &ModuleBillingInput,
        actor: &str,
    ) -> EngineResult<ModuleBillingChange> {
        if !self
            .store
            .connected_modules(tenant_id)
            .await?
            .iter()
            .any(|m| m.module_code == module)
        {
            return Err(EngineError::field(
                "module",
                format!("{module:?} is not connected: connect it first"),
            ));
        }
        let change = ModuleBillingChange {
            module_code: module.to_owned(),
            effective_from: self.effective(tenant_id, &input.effective_from).await?,
            enabled: input.enabled,
            changed: Changed {
                by: actor.to_owned(),
                at: self.now_text(),
            },
        };
        self.store
            .add_module_billing_change(tenant_id, &change)
            .await?;
        Ok(change)
    }

    /// Suggestions for every org of an enabled module with no company on `day`.
    pub async fn suggestions(&self, tenant_id: i64, day: Date) -> EngineResult<Vec<OrgSuggestion>> {
        let setup = self.load_setup(tenant_id).await?;
        let orgs = self.store.module_orgs(tenant_id, None).await?;
        let candidates: Vec<CompanyCandidate> = setup
            .companies
            .values()
            .filter(|c| c.status.accepts_new_mappings())
            .map(|c| CompanyCandidate {
                id: c.id,
                name: c.name.clone(),
            })
            .collect();
        let mapped: Vec<MappedOrg> = orgs
            .iter()
            .filter_map(
                |o| match setup.org_assignment(&o.module_code, &o.org_id, day) {
                    OrgAssignment::Mapped(c) => Some(MappedOrg {
                        module: o.module_code.clone(),
                        org_name: o.name.clone(),
                        company_id: c,
                    }),
                    _ => None,
                },
            )
            .collect();
        let matcher = Matcher::new(&candidates, &mapped);
        Ok(orgs
            .iter()
            .filter(|o| {
                !setup
                    .org_mappings
                    .contains_key(&(o.module_code.clone(), o.org_id.clone()))
                    || setup.org_assignment(&o.module_code, &o.org_id, day)
                        == OrgAssignment::Unmapped
            })
            .map(|o| OrgSuggestion {
                module: o.module_code.clone(),
                org_id: o.org_id.clone(),
                org_name: o.name.clone(),
                parent_id: o.parent_id.clone(),
                candidates: matcher
                    .suggest(&o.module_code, &o.name, 3)
                    .into_iter()
                    .map(|s| Candidate {
                        company_name: setup
                            .companies
                            .get(&s.company_id)
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                        company_id: s.company_id,
                        confidence: s.confidence,
                        reason: s.reason,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Maps every unmapped org whose best suggestion reaches `threshold`.
    pub async fn accept_suggestions(
        &self,
        tenant_id: i64,
        threshold: f64,
        actor: &str,
    ) -> EngineResult<Vec<OrgMappingChange>> {
        let day = self.default_effective_date(tenant_id).await?;
        let today = crate::tenants::tenant_today(self, &self.store.tenant(tenant_id).await?)?;
        let inputs: Vec<OrgMappingInput> = self
            .suggestions(tenant_id, today.max(day))
            .await?
            .into_iter()
            .filter_map(|s| {
                let best = s.candidates.first()?;
                (best.confidence >= threshold).then(|| OrgMappingInput {
                    module: s.module,
                    org_id: s.org_id,
                    state: "mapped".into(),
                    company_id: Some(best.company_id),
                    effective_from: None,
                })
            })
            .collect();
        if inputs.is_empty() {
            return Ok(Vec::new());
        }
        self.map_orgs(tenant_id, &inputs, actor).await
    }
}

/// The first day from `from` on where a (module, billing type) would map to contract services of
/// two contracts of one company active that day.
fn double_billed_day(
    setup: &BillingSetup,
    company: i64,
    key: &BillingTypeKey,
    from: Date,
) -> Option<Date> {
    let contracts: Vec<_> = setup
        .contracts
        .values()
        .filter(|c| c.company_id == company)
        .collect();
    // Mappings and contract spans are constant between these dates, so checking them suffices.
    let mut days = BTreeSet::from([from]);
    for c in &contracts {
        days.insert(c.days.start);
        if let Some(e) = c.days.end.and_then(|e| e.tomorrow().ok()) {
            days.insert(e);
        }
        if let Some(t) = setup.service_mappings.get(&c.id).and_then(|m| m.get(key)) {
            days.extend(t.changes().iter().map(|(d, _)| *d));
        }
    }
    days.into_iter().filter(|d| *d >= from).find(|d| {
        contracts
            .iter()
            .filter(|c| c.days.contains(*d))
            .filter(|c| {
                setup
                    .service_mappings
                    .get(&c.id)
                    .and_then(|m| m.get(key))
                    .and_then(|t| t.at(*d))
                    .copied()
                    .flatten()
                    .is_some()
            })
            .count()
            > 1
    })
}
