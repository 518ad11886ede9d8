//! A module's daily snapshot, validated when parsed.
//!
//! Parsing works on `serde_json::Value` rather than a derived struct because the contract is
//! strict in ways serde's derive would blur: `41.0` and `"41"` are not counts, a number is not a
//! flag, and every refusal must name the field (`organizations[2].usage.desktop`) so a module
//! author can fix the payload. A snapshot that parses is all-or-nothing valid.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::catalog::{BillingType, BillingTypeCode, Module, UnitOfMeasure};
use crate::json::JsonError;

/// The largest count a module may report for one org, billing type and day.
pub const MAX_COUNT: i64 = 1_000_000_000;
/// Longest org id / name / parent id accepted.
pub const MAX_TEXT: usize = 255;

/// One refused field of a request, named by its JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A value as the module sent it, before its billing type's unit is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedValue {
    Count(i64),
    Flag(bool),
}

impl ReportedValue {
    /// The unit a custom module's new billing type gets from its first value.
    pub fn unit(self) -> UnitOfMeasure {
        match self {
            Self::Count(_) => UnitOfMeasure::Count,
            Self::Flag(_) => UnitOfMeasure::Flag,
        }
    }
    /// Stored quantity: flags count 1 when true.
    pub fn quantity(self) -> i64 {
        match self {
            Self::Count(n) => n,
            Self::Flag(b) => i64::from(b),
        }
    }
}

/// One organization of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgReport {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub usage: BTreeMap<BillingTypeCode, ReportedValue>,
}

/// A module's report for one civil date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// With `complete`, whatever is absent is zero that day; without it only listed values change.
    pub complete: bool,
    pub organizations: Vec<OrgReport>,
}

/// One stored quantity: (org, billing type) -> quantity, for the snapshot's module and date.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UsageValue {
    pub org_id: String,
    pub billing_type: BillingTypeCode,
    pub quantity: i64,
}

/// A snapshot checked against its module's billing types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSnapshot {
    pub complete: bool,
    /// The orgs as reported (id, name, parent); their usage is in `values`.
    pub orgs: Vec<OrgReport>,
    pub values: Vec<UsageValue>,
    /// Billing types a custom module registers with this snapshot.
    pub new_billing_types: Vec<BillingType>,
}

impl Snapshot {
    /// Parses a whole JSON snapshot: `{"complete": bool, "organizations": [...]}`.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let Some(obj) = body.as_object() else {
            return Err(vec![FieldError::new("", "the body must be a JSON object")]);
        };
        let mut errors = Vec::new();
        let complete = parse_complete(obj.get("complete"), &mut errors);
        for key in obj.keys() {
            if key != "complete" && key != "organizations" {
                errors.push(FieldError::new(key.clone(), "unknown field"));
            }
        }
        let mut organizations = Vec::new();
        match obj.get("organizations") {
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if let Some(org) = parse_org(item, &format!("organizations[{i}]"), &mut errors)
                    {
                        organizations.push(org);
                    }
                }
            }
            Some(_) => errors.push(FieldError::new("organizations", "must be an array")),
            None => errors.push(FieldError::new("organizations", "is required")),
        }
        finish(complete, organizations, errors)
    }

    /// Parses the NDJSON form for large snapshots: a first line `{"complete": bool}`, then one
    /// organization object per line. Fields are named as in the JSON form.
    pub fn parse_ndjson(text: &str) -> Result<Self, Vec<FieldError>> {
        let mut reader = NdjsonReader::new();
        for line in text.lines() {
            if !reader.line(line) {
                break;
            }
        }
        reader.finish()
    }

    /// Checks every value against the module's billing types. Catalog modules refuse unknown
    /// types; custom modules register them with the unit of their first value.
    pub fn resolve(self, module: &Module) -> Result<ResolvedSnapshot, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut new_types: BTreeMap<BillingTypeCode, UnitOfMeasure> = BTreeMap::new();
        let mut values = Vec::new();
        for (i, org) in self.organizations.iter().enumerate() {
            for (code, value) in &org.usage {
                let field = format!("organizations[{i}].usage.{code}");
                let unit = match module.billing_type(code.as_str()) {
                    Some(bt) => bt.unit,
                    None if module.custom => *new_types.entry(code.clone()).or_insert(value.unit()),
                    None => {
                        errors.push(FieldError::new(
                            field,
                            format!("unknown billing type {code:?} for module {}", module.code),
                        ));
                        continue;
                    }
                };
                match (unit, value) {
                    (UnitOfMeasure::Count, ReportedValue::Count(_))
                    | (UnitOfMeasure::Flag, ReportedValue::Flag(_)) => {
                        values.push(UsageValue {
                            org_id: org.id.clone(),
                            billing_type: code.clone(),
                            quantity: value.quantity(),
                        });
                    }
                    (UnitOfMeasure::Count, ReportedValue::Flag(_)) => errors.push(FieldError::new(
                        field,
                        "a count must be a JSON integer, not a boolean",
                    )),
                    (UnitOfMeasure::Flag, ReportedValue::Count(_)) => errors.push(FieldError::new(
                        field,
                        "a flag must be a JSON boolean (true or false)",
                    )),
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let new_billing_types = new_types
            .into_iter()
            .map(|(code, unit)| BillingType {
                name: code.to_string(),
                code,
                unit,
            })
            .collect();
        // The per-org usage maps now live in `values`: dropped, not kept twice in memory.
        let orgs = self
            .organizations
            .into_iter()
            .map(|o| OrgReport {
                usage: BTreeMap::new(),
                ..o
            })
            .collect();
        Ok(ResolvedSnapshot {
            complete: self.complete,
            orgs,
            values,
            new_billing_types,
        })
    }
}

/// Reads the NDJSON form one line at a time, so a server can parse a large snapshot while it
/// arrives and never hold the whole body.
#[derive(Debug, Default)]
pub struct NdjsonReader {
    /// Lines seen so far (blank ones included), for messages.
    lines: usize,
    /// Organization lines seen so far (each takes an index in `organizations[i]`).
    org_lines: usize,
    complete: Option<bool>,
    organizations: Vec<OrgReport>,
    errors: Vec<FieldError>,
}

impl NdjsonReader {
    /// Stops reading after this many errors: the answer already says enough.
    const MAX_ERRORS: usize = 100;

    pub fn new() -> Self {
        Self::default()
    }

    /// Reads one line (without its line break). False once enough errors were found that
    /// reading on would only lengthen the answer.
    pub fn line(&mut self, line: &str) -> bool {
        self.lines += 1;
        let n = self.lines;
        if line.trim().is_empty() {
            return true;
        }
        if self.complete.is_none() {
            self.complete = Some(self.header(n, line));
            return true;
        }
        let path = format!("organizations[{}]", self.org_lines);
        self.org_lines += 1;
        match crate::json::parse_strict(line.as_bytes()) {
            Ok(v) => {
                if let Some(org) = parse_org(&v, &path, &mut self.errors) {
                    self.organizations.push(org);
                }
            }
            Err(JsonError::DuplicateKey {
                path: key_path,
                key,
            }) => self.errors.push(FieldError::new(
                format!("{path}.{key_path}"),
                format!("line {n}: the key `{key}` appears twice in one object"),
            )),
            Err(e) => self
                .errors
                .push(FieldError::new(path, format!("line {n} {e}"))),
        }
        self.errors.len() <= Self::MAX_ERRORS
    }

    fn header(&mut self, n: usize, line: &str) -> bool {
        match crate::json::parse_strict(line.as_bytes()) {
            Ok(Value::Object(header)) => {
                for key in header.keys().filter(|k| *k != "complete") {
                    self.errors.push(FieldError::new(
                        key.clone(),
                        "unknown field in the header line",
                    ));
                }
                parse_complete(header.get("complete"), &mut self.errors)
            }
            Err(JsonError::DuplicateKey { path, key }) => {
                self.errors.push(FieldError::new(
                    path,
                    format!("`{key}` appears twice in the header line"),
                ));
                false
            }
            _ => {
                self.errors.push(FieldError::new(
                    format!("line {n}"),
                    "the header line must be a JSON object",
                ));
                false
            }
        }
    }

    /// The snapshot, or every problem found.
    pub fn finish(self) -> Result<Snapshot, Vec<FieldError>> {
        let Some(complete) = self.complete else {
            return Err(vec![FieldError::new(
                "",
                "an NDJSON snapshot needs a first line {\"complete\": true|false}",
            )]);
        };
        finish(complete, self.organizations, self.errors)
    }
}

fn parse_complete(v: Option<&Value>, errors: &mut Vec<FieldError>) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(FieldError::new("complete", "must be true or false"));
            false
        }
        None => {
            errors.push(FieldError::new(
                "complete",
                "is required: true replaces the whole day, false changes only the listed values",
            ));
            false
        }
    }
}

fn finish(
    complete: bool,
    organizations: Vec<OrgReport>,
    mut errors: Vec<FieldError>,
) -> Result<Snapshot, Vec<FieldError>> {
    let mut seen = HashSet::new();
    for (i, org) in organizations.iter().enumerate() {
        if !seen.insert(org.id.as_str()) {
            errors.push(FieldError::new(
                format!("organizations[{i}].id"),
                format!(
                    "organization id {:?} appears twice in this snapshot",
                    org.id
                ),
            ));
        }
    }
    if errors.is_empty() {
        Ok(Snapshot {
            complete,
            organizations,
        })
    } else {
        Err(errors)
    }
}

fn text_field(
    obj: &serde_json::Map<String, Value>,
    key: &str,
    path: &str,
    required: bool,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let field = format!("{path}.{key}");
    match obj.get(key) {
        Some(Value::String(s)) if s.trim().is_empty() => {
            errors.push(FieldError::new(field, "must not be empty"));
            None
        }
        Some(Value::String(s)) if s.chars().count() > MAX_TEXT => {
            errors.push(FieldError::new(
                field,
                format!("must be at most {MAX_TEXT} characters"),
            ));
            None
        }
        Some(Value::String(s)) if s.chars().any(char::is_control) => {
            errors.push(FieldError::new(
                field,
                "must not contain control characters (NUL, tabs, line breaks...)",
            ));
            None
        }
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None if !required => None,
        None => {
            errors.push(FieldError::new(field, "is required"));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(field, "must be a string"));
            None
        }
    }
}

fn parse_org(item: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<OrgReport> {
    let Some(obj) = item.as_object() else {
        errors.push(FieldError::new(path, "must be an object"));
        return None;
    };
    let before = errors.len();
    for key in obj.keys() {
        if !matches!(key.as_str(), "id" | "name" | "parent_id" | "usage") {
            errors.push(FieldError::new(format!("{path}.{key}"), "unknown field"));
        }
    }
    let id = text_field(obj, "id", path, true, errors);
    let name = text_field(obj, "name", path, true, errors);
    let parent_id = text_field(obj, "parent_id", path, false, errors);
    let mut usage = BTreeMap::new();
    match obj.get("usage") {
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let field = format!("{path}.usage.{key}");
                let code = match BillingTypeCode::parse(key) {
                    Ok(c) => c,
                    Err(e) => {
                        errors.push(FieldError::new(field, e.to_string()));
                        continue;
                    }
                };
                match parse_value(value) {
                    Ok(v) => {
                        usage.insert(code, v);
                    }
                    Err(msg) => errors.push(FieldError::new(field, msg)),
                }
            }
        }
        Some(_) => errors.push(FieldError::new(
            format!("{path}.usage"),
            "must be an object of billing type -> quantity",
        )),
        None => errors.push(FieldError::new(
            format!("{path}.usage"),
            "is required (use {} for an org with nothing to report)",
        )),
    }
    if errors.len() > before {
        return None;
    }
    Some(OrgReport {
        id: id?,
        name: name?,
        parent_id,
        usage,
    })
}

fn parse_value(value: &Value) -> Result<ReportedValue, String> {
    match value {
        Value::Bool(b) => Ok(ReportedValue::Flag(*b)),
        // `is_i64` is false for 41.0: serde_json keeps the written form of floats.
        Value::Number(n) if n.is_i64() || n.is_u64() => match n.as_i64() {
            Some(q) if (0..=MAX_COUNT).contains(&q) => Ok(ReportedValue::Count(q)),
            _ => Err(format!("must be an integer from 0 to {MAX_COUNT}")),
        },
        Value::Number(_) => {
            Err("must be a whole number written without a decimal point (41, not 41.0)".into())
        }
        Value::String(_) => Err("must be a JSON integer or boolean, not a string".into()),
        _ => Err("must be a JSON integer (count) or boolean (flag)".into()),
    }
}

/// A stored value that an incoming snapshot changed: kept as a revision (who and when are the
/// store's to add).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    pub org_id: String,
    pub billing_type: BillingTypeCode,
    pub old_quantity: i64,
    pub new_quantity: i64,
}

/// What storing a snapshot for a (module, date) must do, given what is stored for that day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotPlan<'a> {
    /// Delete every stored value of the day before writing `writes` (a complete snapshot).
    pub replace_day: bool,
    /// Values to insert or overwrite (borrowed from the incoming snapshot when it is written
    /// whole: a large day is not copied).
    pub writes: std::borrow::Cow<'a, [UsageValue]>,
    pub revisions: Vec<Revision>,
    /// Whether the day has a complete snapshot afterwards.
    pub complete_after: bool,
    /// Nothing about the day's values changes: a re-sent snapshot is a no-op.
    pub unchanged: bool,
}

/// The replace semantics of DESIGN.md: the last snapshot for (module, date) wins; a complete
/// one replaces the day (absent = 0), a partial one changes only what it lists and, on a day
/// that has a complete snapshot, is merged into it. `previous` is the day's stored state:
/// whether it was complete, and its stored values.
pub fn plan_snapshot<'a>(
    previous: Option<(bool, &[UsageValue])>,
    complete: bool,
    incoming: &'a [UsageValue],
) -> SnapshotPlan<'a> {
    let Some((was_complete, old)) = previous else {
        return SnapshotPlan {
            replace_day: false,
            writes: incoming.into(),
            revisions: Vec::new(),
            complete_after: complete,
            unchanged: false,
        };
    };
    let old_map: BTreeMap<(&str, &BillingTypeCode), i64> = old
        .iter()
        .map(|v| ((v.org_id.as_str(), &v.billing_type), v.quantity))
        .collect();
    // What a key read before this snapshot: its stored value, 0 on a complete day, or nothing
    // stored (it read through to earlier days) on a partial day.
    let old_value = |org: &str, bt: &BillingTypeCode| -> Option<i64> {
        old_map
            .get(&(org, bt))
            .copied()
            .or(if was_complete { Some(0) } else { None })
    };
    let mut revisions = Vec::new();
    if complete {
        let new_map: BTreeMap<(&str, &BillingTypeCode), i64> = incoming
            .iter()
            .map(|v| ((v.org_id.as_str(), &v.billing_type), v.quantity))
            .collect();
        let keys: std::collections::BTreeSet<_> =
            old_map.keys().chain(new_map.keys()).copied().collect();
        for (org, bt) in keys {
            let new = new_map.get(&(org, bt)).copied().unwrap_or(0);
            if let Some(old) = old_value(org, bt).filter(|old| *old != new) {
                revisions.push(Revision {
                    org_id: org.to_owned(),
                    billing_type: bt.clone(),
                    old_quantity: old,
                    new_quantity: new,
                });
            }
        }
        let unchanged = was_complete && old_map == new_map;
        return SnapshotPlan {
            replace_day: !unchanged,
            writes: if unchanged {
                Vec::new().into()
            } else {
                incoming.into()
            },
            revisions,
            complete_after: true,
            unchanged,
        };
    }
    let mut writes = Vec::new();
    for v in incoming {
        if old_map.get(&(v.org_id.as_str(), &v.billing_type)) == Some(&v.quantity) {
            continue;
        }
        if let Some(old) = old_value(&v.org_id, &v.billing_type).filter(|old| *old != v.quantity) {
            revisions.push(Revision {
                org_id: v.org_id.clone(),
                billing_type: v.billing_type.clone(),
                old_quantity: old,
                new_quantity: v.quantity,
            });
        }
        writes.push(v.clone());
    }
    let unchanged = writes.is_empty();
    SnapshotPlan {
        replace_day: false,
        writes: writes.into(),
        revisions,
        complete_after: was_complete,
        unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use serde_json::json;

    fn rmm() -> Module {
        Catalog::built_in().get("datto-rmm").unwrap().clone()
    }

    fn first_field(r: Result<Snapshot, Vec<FieldError>>) -> String {
        r.unwrap_err()[0].field.clone()
    }

    fn v(org: &str, bt: &str, q: i64) -> UsageValue {
        UsageValue {
            org_id: org.into(),
            billing_type: BillingTypeCode::parse(bt).unwrap(),
            quantity: q,
        }
    }

    #[test]
    fn resending_a_complete_snapshot_changes_nothing() {
        let day = [v("a", "desktop", 4), v("b", "server", 1)];
        let p = plan_snapshot(Some((true, &day)), true, &day);
        assert!(p.unchanged && p.writes.is_empty() && p.revisions.is_empty());
    }

    #[test]
    fn a_complete_snapshot_replaces_the_day_and_keeps_revisions() {
        let old = [v("a", "desktop", 4), v("b", "server", 1)];
        let new = [v("a", "desktop", 5)];
        let p = plan_snapshot(Some((true, &old)), true, &new);
        assert!(p.replace_day && !p.unchanged);
        assert_eq!(p.revisions.len(), 2, "4 -> 5 and 1 -> 0 (absent)");
        assert!(
            p.revisions
                .iter()
                .any(|r| r.org_id == "b" && r.new_quantity == 0)
        );
    }

    #[test]
    fn a_partial_snapshot_merges_and_only_revises_stored_values() {
        let old = [v("a", "desktop", 4)];
        let incoming = [v("a", "desktop", 4), v("c", "desktop", 2)];
        let p = plan_snapshot(Some((false, &old)), false, &incoming);
        assert_eq!(p.writes, vec![v("c", "desktop", 2)]);
        assert!(
            p.revisions.is_empty(),
            "c had no stored value on a partial day"
        );
        assert!(!p.complete_after);
        let incoming = [v("c", "desktop", 2)];
        let p = plan_snapshot(Some((true, &old)), false, &incoming);
        assert_eq!(p.revisions.len(), 1, "on a complete day c read 0 before");
        assert!(p.complete_after);
    }

    #[test]
    fn parses_the_design_example() {
        let s = Snapshot::parse(&json!({"complete": true, "organizations": [
            {"id": "site-1042", "name": "Acme Corp - HQ", "parent_id": null,
             "usage": {"desktop": 41, "server": 3, "edr_enabled": true}}]}))
        .unwrap();
        let r = s.resolve(&rmm()).unwrap();
        assert!(r.complete);
        assert_eq!(r.values.len(), 3);
        assert!(
            r.values
                .iter()
                .any(|v| v.billing_type.as_str() == "edr_enabled" && v.quantity == 1)
        );
    }

    #[test]
    fn refuses_bad_quantities_naming_the_field() {
        for bad in [
            json!(-1),
            json!(41.0),
            json!("41"),
            json!(null),
            json!(1_000_000_001i64),
        ] {
            let f = first_field(Snapshot::parse(
                &json!({"complete": true, "organizations": [
                {"id": "a", "name": "A", "usage": {"desktop": bad}}]}),
            ));
            assert_eq!(f, "organizations[0].usage.desktop");
        }
    }

    #[test]
    fn refuses_a_number_for_a_flag_and_unknown_types() {
        let s = Snapshot::parse(&json!({"complete": true, "organizations": [
            {"id": "a", "name": "A", "usage": {"edr_enabled": 1, "nope": 2}}]}))
        .unwrap();
        let errs = s.resolve(&rmm()).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"organizations[0].usage.edr_enabled"));
        assert!(fields.contains(&"organizations[0].usage.nope"));
    }

    #[test]
    fn refuses_control_characters_in_ids_and_names() {
        let f = first_field(Snapshot::parse(
            &json!({"complete": true, "organizations": [
            {"id": "a", "name": "A\u{0}corp", "usage": {}}]}),
        ));
        assert_eq!(f, "organizations[0].name");
        let f = first_field(Snapshot::parse(
            &json!({"complete": true, "organizations": [
            {"id": "a\nb", "name": "A", "usage": {}}]}),
        ));
        assert_eq!(f, "organizations[0].id");
    }

    #[test]
    fn refuses_an_org_twice() {
        let f = first_field(Snapshot::parse(
            &json!({"complete": false, "organizations": [
            {"id": "a", "name": "A", "usage": {}}, {"id": "a", "name": "A2", "usage": {}}]}),
        ));
        assert_eq!(f, "organizations[1].id");
    }

    #[test]
    fn complete_is_required() {
        assert_eq!(
            first_field(Snapshot::parse(&json!({"organizations": []}))),
            "complete"
        );
    }

    #[test]
    fn custom_modules_register_types_from_the_first_value() {
        let custom = Module {
            code: crate::catalog::ModuleCode::parse("my-tool").unwrap(),
            name: "My tool".into(),
            custom: true,
            billing_types: vec![],
        };
        let s = Snapshot::parse(&json!({"complete": true, "organizations": [
            {"id": "a", "name": "A", "usage": {"seats": 3, "on": true}},
            {"id": "b", "name": "B", "usage": {"seats": true}}]}))
        .unwrap();
        let errs = s.clone().resolve(&custom).unwrap_err();
        assert_eq!(errs[0].field, "organizations[1].usage.seats");
        let ok = Snapshot {
            organizations: s.organizations[..1].to_vec(),
            ..s
        };
        let r = ok.resolve(&custom).unwrap();
        assert_eq!(r.new_billing_types.len(), 2);
    }

    #[test]
    fn ndjson_has_a_header_line_then_one_org_per_line() {
        let text = "{\"complete\": true}\n{\"id\":\"a\",\"name\":\"A\",\"usage\":{\"desktop\":2}}\n\n{\"id\":\"b\",\"name\":\"B\",\"usage\":{}}\n";
        let s = Snapshot::parse_ndjson(text).unwrap();
        assert_eq!(s.organizations.len(), 2);
        let bad =
            "{\"complete\": true}\n{\"id\":\"a\",\"name\":\"A\",\"usage\":{\"desktop\":2.5}}\n";
        assert_eq!(
            first_field(Snapshot::parse_ndjson(bad)),
            "organizations[0].usage.desktop"
        );
    }
}
