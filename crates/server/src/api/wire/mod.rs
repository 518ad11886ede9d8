//! The API's own request and response types, by area.
//!
//! Request bodies refuse unknown fields and convert into the engine's typed requests; responses
//! are built from the engine's reports. The engine's types carry no OpenAPI derives: what the
//! document describes is what is defined here.

pub(crate) mod exports;
pub(crate) mod invoicing;
pub(crate) mod mapping;
pub(crate) mod schema;
pub(crate) mod setup;
pub(crate) mod sync;
pub(crate) mod tenant;

#[cfg(test)]
mod tests {
    use serde_json::json;
    use utoipa::OpenApi;

    #[test]
    fn request_bodies_refuse_unknown_fields() {
        let company = json!({"name": "Acme", "colour": "red"});
        let err = serde_json::from_value::<super::setup::CompanyInput>(company)
            .err()
            .expect("an unknown field is refused");
        assert!(err.to_string().contains("colour"), "{err}");
        let goodwill =
            json!({"company_id": 1, "lines": [{"description": "x", "amount": "1", "extra": 1}]});
        assert!(serde_json::from_value::<super::invoicing::GoodwillInput>(goodwill).is_err());
        let known = json!({"name": "Acme", "tax_rates": [], "payment_terms_days": 15});
        assert!(serde_json::from_value::<super::setup::CompanyInput>(known).is_ok());
    }

    #[test]
    fn the_document_lists_the_wire_schemas() {
        let spec = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap();
        let schemas = &spec["components"]["schemas"];
        for name in [
            "AgingRow",
            "Candidate",
            "CompanyInput",
            "ContractInput",
            "ContractServiceInput",
            "ExportFormat",
            "GoodwillLine",
            "ImportReport",
            "ImportRow",
            "Insight",
            "LineExplanation",
            "ModuleBillingInput",
            "OneOffInput",
            "OrgMappingInput",
            "OrgSuggestion",
            "PaymentInput",
            "RunReport",
            "ServiceInput",
            "ServiceMappingInput",
            "SettingsInput",
            "SyncReport",
        ] {
            assert!(schemas[name].is_object(), "{name} is documented");
        }
        assert_eq!(schemas["CompanyInput"]["additionalProperties"], false);
    }
}
