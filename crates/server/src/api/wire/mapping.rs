//! Org mappings, service mappings, module billing and suggestions.

use serde::{Deserialize, Serialize};
use unitbill_engine::mapping;

/// One org mapping change as an admin asks for it.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgMappingInput {
    pub module: String,
    pub org_id: String,
    /// `mapped` (with `company_id`), `ignored` or `unmapped`.
    #[serde(default = "mapped")]
    #[schema(schema_with = super::schema::org_state)]
    pub state: String,
    #[schema(minimum = 1)]
    pub company_id: Option<i64>,
    /// Default: the first day of the open period.
    #[schema(schema_with = super::schema::optional_date)]
    pub effective_from: Option<String>,
}

fn mapped() -> String {
    "mapped".into()
}

impl From<OrgMappingInput> for mapping::OrgMappingInput {
    fn from(i: OrgMappingInput) -> Self {
        mapping::OrgMappingInput {
            module: i.module,
            org_id: i.org_id,
            state: i.state,
            company_id: i.company_id,
            effective_from: i.effective_from,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceMappingInput {
    pub module: String,
    pub billing_type: String,
    /// The contract service to bill; null unmaps.
    #[schema(minimum = 1)]
    pub contract_service_id: Option<i64>,
    #[schema(schema_with = super::schema::optional_date)]
    pub effective_from: Option<String>,
}

impl From<ServiceMappingInput> for mapping::ServiceMappingInput {
    fn from(i: ServiceMappingInput) -> Self {
        mapping::ServiceMappingInput {
            module: i.module,
            billing_type: i.billing_type,
            contract_service_id: i.contract_service_id,
            effective_from: i.effective_from,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleBillingInput {
    pub enabled: bool,
    #[schema(schema_with = super::schema::optional_date)]
    pub effective_from: Option<String>,
}

impl From<ModuleBillingInput> for mapping::ModuleBillingInput {
    fn from(i: ModuleBillingInput) -> Self {
        mapping::ModuleBillingInput {
            enabled: i.enabled,
            effective_from: i.effective_from,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInput {
    /// Default: the matcher's tuned threshold.
    #[schema(minimum = 0, maximum = 1)]
    pub threshold: Option<f64>,
}

/// A suggested company for an unmapped org.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgSuggestion {
    pub module: String,
    pub org_id: String,
    pub org_name: String,
    pub parent_id: Option<String>,
    pub candidates: Vec<Candidate>,
}

impl From<mapping::OrgSuggestion> for OrgSuggestion {
    fn from(s: mapping::OrgSuggestion) -> Self {
        OrgSuggestion {
            module: s.module,
            org_id: s.org_id,
            org_name: s.org_name,
            parent_id: s.parent_id,
            candidates: s.candidates.into_iter().map(Into::into).collect(),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub company_id: i64,
    pub company_name: String,
    pub confidence: f64,
    pub reason: String,
}

impl From<mapping::Candidate> for Candidate {
    fn from(c: mapping::Candidate) -> Self {
        Candidate {
            company_id: c.company_id,
            company_name: c.company_name,
            confidence: c.confidence,
            reason: c.reason,
        }
    }
}

/// The body of `POST /api/v1/org-mappings`: one change or a list of them. It is read straight
/// from the body's text like every other body, so an unknown field, a key given twice or a
/// value of the wrong type is refused naming its path (`[1].company_id`).
pub enum OrgMappingBody {
    One(OrgMappingInput),
    Many(Vec<OrgMappingInput>),
}

impl OrgMappingBody {
    /// The changes, in the order given.
    pub fn into_inputs(self) -> Vec<OrgMappingInput> {
        match self {
            Self::One(one) => vec![one],
            Self::Many(many) => many,
        }
    }
}

impl<'de> Deserialize<'de> for OrgMappingBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
        struct OneOrMany;
        impl<'de> serde::de::Visitor<'de> for OneOrMany {
            type Value = OrgMappingBody;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an org mapping object or a list of them")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                Vec::deserialize(SeqAccessDeserializer::new(seq)).map(OrgMappingBody::Many)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                OrgMappingInput::deserialize(MapAccessDeserializer::new(map))
                    .map(OrgMappingBody::One)
            }
        }
        deserializer.deserialize_any(OneOrMany)
    }
}
