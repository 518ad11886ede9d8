//! JSON read strictly: a key given twice in one object is refused (DESIGN.md, "Ingestion"),
//! where `serde_json::Value` would silently keep the last one.
//!
//! Snapshot bodies are read as free-form JSON before they are checked field by field, so the
//! duplicate check has to happen while parsing: afterwards the first value is gone.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// Why a text is not strict JSON.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all (the message says where).
    #[error("is not JSON: {0}")]
    Syntax(String),
    /// A key appears twice in one object; `path` is the JSON path of the second one.
    #[error("the key `{key}` appears twice in one object")]
    DuplicateKey { path: String, key: String },
}

/// Parses `text` as JSON, refusing duplicate keys in any object.
pub fn parse_strict(text: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize::<_, StrictValue>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.to_string().strip_prefix(DUPLICATE) {
            Some(rest) => {
                let key = rest.split(" at line").next().unwrap_or(rest).to_owned();
                let path = if path.is_empty() || path == "." {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                JsonError::DuplicateKey { path, key }
            }
            None => JsonError::Syntax(inner.to_string()),
        }
    })?;
    de.end().map_err(|e| JsonError::Syntax(e.to_string()))?;
    Ok(value.0)
}

const DUPLICATE: &str = "duplicate key: ";

/// A `Value` whose objects never held a key twice.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        StrictValue::deserialize(d).map(|v| v.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE}{key}")));
            }
            let StrictValue(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_serde_json_reads() {
        let text = br#"{"a": [1, -2, 3.5, true, null, "x"], "b": {"c": {}}}"#;
        let strict = parse_strict(text).unwrap();
        let plain: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(strict, plain);
    }

    #[test]
    fn a_key_twice_is_refused_with_its_path() {
        let err = parse_strict(br#"{"complete": true, "complete": false}"#).unwrap_err();
        assert_eq!(
            err,
            JsonError::DuplicateKey {
                path: "complete".into(),
                key: "complete".into()
            }
        );
        let err = parse_strict(
            br#"{"organizations": [{"id": "a", "usage": {"desktop": 1, "desktop": 2}}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            JsonError::DuplicateKey {
                path: "organizations[0].usage.desktop".into(),
                key: "desktop".into()
            }
        );
    }

    #[test]
    fn broken_or_trailing_text_is_a_syntax_error() {
        assert!(matches!(
            parse_strict(br#"{"a": "#),
            Err(JsonError::Syntax(_))
        ));
        assert!(matches!(
            parse_strict(br#"{"a": 1} x"#),
            Err(JsonError::Syntax(_))
        ));
    }
}
