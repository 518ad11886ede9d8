//! The text rule of every JSON body (`extract.rs`) in the document: each string of a request
//! schema is at most [`MAX_TEXT_CHARS`] characters and has no control characters but tab and
//! newline, unless its field says something stricter (a pattern, a format, an enum, a
//! shorter length).

use std::collections::BTreeSet;

use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use crate::extract::MAX_TEXT_CHARS;

/// No control characters (C0, DEL, C1) but tab and newline, as `check_strings` refuses.
const NO_CONTROL: &str = "^[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$";

/// Adds the text rule to the schemas that JSON request bodies use.
pub struct TextRule;

impl Modify for TextRule {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let Ok(paths) = serde_json::to_value(&openapi.paths) else {
            return;
        };
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let mut names = BTreeSet::new();
        for_each_json_body(&paths, &mut |schema| refs(schema, &mut names));
        // Follow references from schema to schema until no new name turns up.
        let mut todo: Vec<String> = names.iter().cloned().collect();
        while let Some(name) = todo.pop() {
            let Some(schema) = components.schemas.get(&name) else {
                continue;
            };
            let mut found = BTreeSet::new();
            refs(
                &serde_json::to_value(schema).unwrap_or_default(),
                &mut found,
            );
            todo.extend(found.into_iter().filter(|n| names.insert(n.clone())));
        }
        for name in names {
            if let Some(schema) = components.schemas.get_mut(&name) {
                let mut value = serde_json::to_value(&*schema).unwrap_or_default();
                limit_strings(&mut value);
                if let Ok(limited) = serde_json::from_value::<RefOr<Schema>>(value) {
                    *schema = limited;
                }
            }
        }
    }
}

/// Calls `f` with the schema of every `application/json` request body.
fn for_each_json_body(paths: &Value, f: &mut impl FnMut(&Value)) {
    for item in paths.as_object().into_iter().flat_map(|m| m.values()) {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                f(schema);
            }
        }
    }
}

/// The component names a schema refers to.
fn refs(schema: &Value, out: &mut BTreeSet<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref")
                && let Some(name) = r.strip_prefix("#/components/schemas/")
            {
                out.insert(name.to_owned());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// Gives every plain string schema inside `schema` the text rule.
fn limit_strings(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = ["pattern", "format", "enum"]
                .iter()
                .all(|k| !map.contains_key(*k));
            if string && free {
                map.entry("maxLength").or_insert(MAX_TEXT_CHARS.into());
                map.insert("pattern".into(), NO_CONTROL.into());
            }
            map.values_mut().for_each(limit_strings);
        }
        Value::Array(items) => items.iter_mut().for_each(limit_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use utoipa::OpenApi;

    #[test]
    fn request_strings_carry_the_text_rule_and_responses_do_not() {
        let spec = serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap();
        let schemas = &spec["components"]["schemas"];
        let name = &schemas["CompanyInput"]["properties"]["name"];
        assert_eq!(name["maxLength"], 1000, "{name}");
        assert_eq!(name["pattern"], super::NO_CONTROL);
        let line = &schemas["GoodwillLine"]["properties"]["description"];
        assert_eq!(line["maxLength"], 1000, "nested through $ref: {line}");
        let period = &schemas["RunInput"]["properties"]["period"];
        assert!(period.get("maxLength").is_none(), "a pattern says more");
        assert!(schemas["Insight"]["properties"]["title"]["maxLength"].is_null());
    }
}
