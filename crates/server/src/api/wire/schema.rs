//! What the document says a request value may be, where its Rust type (a string the engine
//! parses) says less: the enums, patterns and formats used by `#[schema(...)]` attributes of
//! the wire types. Each is what the engine really accepts (the tests below check the enums
//! against the domain's own parsers), so a request the document forbids is refused. The
//! patterns stand in the attributes themselves (utoipa takes them as literals): periods
//! `YYYY-MM` with a year from 1900 to 2999 (`Period::parse_billing`), decimals in plain
//! notation (`parse_amount`: no exponent, no `+`, no leading zeros).

use unitbill_domain::money::Currency;
use unitbill_domain::rules::{ChangeRule, Timing};
use utoipa::openapi::schema::{KnownFormat, Object, ObjectBuilder, SchemaFormat, SchemaType, Type};

/// The company statuses (`CompanyStatus::parse`).
pub const COMPANY_STATUSES: [&str; 4] = ["active", "inactive", "dead", "cancelled"];

/// What an org mapping change does (`mapping::map_orgs`).
pub const ORG_STATES: [&str; 3] = ["mapped", "ignored", "unmapped"];

/// What an insight decision sets (`insights::set_insight_status`).
pub const INSIGHT_STATUSES: [&str; 3] = ["open", "dismissed", "resolved"];

/// A string of one of `values`, or null when the field is optional.
fn choice<S: Into<String>>(values: impl IntoIterator<Item = S>, optional: bool) -> Object {
    let values: Vec<String> = values.into_iter().map(Into::into).collect();
    let mut schema = ObjectBuilder::new().schema_type(if optional {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    });
    let mut all: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    if optional {
        all.push(serde_json::Value::Null);
    }
    schema = schema.enum_values(Some(all));
    schema.build()
}

/// An optional ISO 4217 code unitbill knows.
pub fn currency() -> Object {
    choice(Currency::all().map(|c| c.code()), true)
}

/// An optional company status.
pub fn company_status() -> Object {
    choice(COMPANY_STATUSES, true)
}

/// An optional contract timing (`arrears`, `advance`).
pub fn timing() -> Object {
    choice(Timing::ALL.map(Timing::as_str), true)
}

/// An optional contract period: only `monthly`.
pub fn contract_period() -> Object {
    choice(["monthly"], true)
}

/// An optional change rule.
pub fn change_rule() -> Object {
    choice(ChangeRule::ALL.map(ChangeRule::as_str), true)
}

/// An org mapping state (default `mapped`).
pub fn org_state() -> Object {
    choice(ORG_STATES, false)
}

/// An insight status.
pub fn insight_status() -> Object {
    choice(INSIGHT_STATUSES, false)
}

/// A civil date `YYYY-MM-DD`, or null.
pub fn optional_date() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .build()
}

#[cfg(test)]
mod tests {
    use unitbill_domain::setup::CompanyStatus;

    #[test]
    fn the_documented_enums_are_what_the_domain_reads() {
        for s in super::COMPANY_STATUSES {
            assert!(CompanyStatus::parse(s).is_some(), "{s}");
        }
        let spec = serde_json::to_value(super::currency()).unwrap();
        assert!(spec["enum"].as_array().unwrap().contains(&"USD".into()));
    }
}
