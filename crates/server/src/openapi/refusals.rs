//! The refusals of the API in the document: one `application/problem+json` response per
//! status (`#/components/responses/...`), added to each operation by what the operation takes,
//! so no handler repeats them and none is forgotten.
//!
//! What an operation takes decides what it can be refused for (see `extract.rs` and
//! `problem.rs`):
//! - a credential (its security): 401;
//! - a write (POST, PUT, PATCH, DELETE) or a module key: 403 (every write checks the token's
//!   role; a module key writes only its own module) and, for writes, 409 (a name that exists,
//!   a posted document or period, a sync in progress);
//! - a parameter or a body: 400 (not JSON, an id or a query value of the wrong type) and 422
//!   (a value the rules refuse, naming the field);
//! - a path parameter: 404 (an id or code the tenant does not have);
//! - a body: 413 (past the body limit) and 415 (not one of the content types it lists);
//! - anything: 500 (storage failed; nothing was changed).
//!
//! Handlers add what these rules cannot see with [`Forbidden`], [`NotFound`] and [`Conflict`].

use std::collections::BTreeMap;

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{IntoResponses, Modify, PartialSchema};

use crate::problem::Problem;

/// A refusal the API answers, documented once as a reusable response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    Unprocessable,
    Internal,
}

impl Refusal {
    const ALL: [Refusal; 9] = [
        Refusal::BadRequest,
        Refusal::Unauthorized,
        Refusal::Forbidden,
        Refusal::NotFound,
        Refusal::Conflict,
        Refusal::PayloadTooLarge,
        Refusal::UnsupportedMediaType,
        Refusal::Unprocessable,
        Refusal::Internal,
    ];

    /// The status code, and the response's name and description in the document.
    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Refusal::BadRequest => (
                "400",
                "BadRequest",
                "The body is not JSON, or a path or query value has the wrong type; `field` names it. Nothing was changed.",
            ),
            Refusal::Unauthorized => (
                "401",
                "Unauthorized",
                "No credential, or one that is unknown or revoked: send `Authorization: Bearer <key>`.",
            ),
            Refusal::Forbidden => (
                "403",
                "Forbidden",
                "The credential may not do this: the API token's role is too low, or the module key belongs to another module.",
            ),
            Refusal::NotFound => (
                "404",
                "NotFound",
                "An id or code the tenant does not have. Nothing was changed.",
            ),
            Refusal::Conflict => (
                "409",
                "Conflict",
                "The stored state refuses the request (a name that exists, a posted document or period, a sync in progress). Nothing was changed.",
            ),
            Refusal::PayloadTooLarge => (
                "413",
                "PayloadTooLarge",
                "The body is larger than the limit. Nothing was changed.",
            ),
            Refusal::UnsupportedMediaType => (
                "415",
                "UnsupportedMediaType",
                "The body is not sent with a content type the operation takes (`application/json`; `text/csv` for the client list; `application/x-ndjson` also for snapshots).",
            ),
            Refusal::Unprocessable => (
                "422",
                "Unprocessable",
                "A value is refused by the rules; `field` names the first, `errors` lists each. Nothing was changed.",
            ),
            Refusal::Internal => (
                "500",
                "Internal",
                "The server failed (storage); the request changed nothing and the failure is logged.",
            ),
        }
    }

    fn response(self) -> Response {
        ResponseBuilder::new()
            .description(self.describe().2)
            .content(
                "application/problem+json",
                Content::new(Some(Ref::from_schema_name("Problem"))),
            )
            .build()
    }

    /// This refusal as an entry of an operation's responses: a reference to the shared one.
    fn entry(self) -> (String, RefOr<Response>) {
        let (status, name, _) = self.describe();
        (status.to_owned(), Ref::from_response_name(name).into())
    }
}

/// What the rules cannot see: a 403 for a read that needs a role.
pub struct Forbidden;
/// What the rules cannot see: a 404 for an id named in a body or query.
pub struct NotFound;
/// What the rules cannot see: a 409 for a read the stored state can refuse (a draft's UBL).
pub struct Conflict;

impl IntoResponses for Forbidden {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [Refusal::Forbidden.entry()].into()
    }
}

impl IntoResponses for NotFound {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [Refusal::NotFound.entry()].into()
    }
}

impl IntoResponses for Conflict {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [Refusal::Conflict.entry()].into()
    }
}

/// Adds the shared refusals to the components and each operation's own to it.
pub struct Refusals;

impl Modify for Refusals {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert("Problem".to_owned(), Problem::schema());
        components.schemas.insert(
            "ProblemField".to_owned(),
            crate::problem::ProblemField::schema(),
        );
        for refusal in Refusal::ALL {
            let name = refusal.describe().1;
            components
                .responses
                .insert(name.to_owned(), refusal.response().into());
        }
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (operation, write) in operations {
                if let Some(op) = operation.as_mut() {
                    for refusal in refusals_of(op, write) {
                        let (status, response) = refusal.entry();
                        op.responses.responses.entry(status).or_insert(response);
                    }
                }
            }
        }
    }
}

/// The refusals an operation can answer by what it takes (the rules of the module docs).
fn refusals_of(op: &Operation, write: bool) -> Vec<Refusal> {
    let schemes: Vec<String> = op
        .security
        .iter()
        .flatten()
        .filter_map(|s| serde_json::to_value(s).ok())
        .filter_map(|v| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()))
        .flatten()
        .collect();
    let params: Vec<ParameterIn> = op
        .parameters
        .iter()
        .flatten()
        .filter_map(|p| match p {
            RefOr::T(p) => Some(p.parameter_in.clone()),
            RefOr::Ref(_) => None,
        })
        .collect();
    // Every body is refused (415) unless sent as one of the content types it lists.
    let body = op.request_body.is_some();
    let mut out = vec![Refusal::Internal];
    if !schemes.is_empty() {
        out.push(Refusal::Unauthorized);
    }
    if write || schemes.iter().any(|s| s == "module_key") {
        out.push(Refusal::Forbidden);
    }
    if write {
        out.push(Refusal::Conflict);
    }
    if !params.is_empty() || body {
        out.extend([Refusal::BadRequest, Refusal::Unprocessable]);
    }
    if params.contains(&ParameterIn::Path) {
        out.push(Refusal::NotFound);
    }
    if body {
        out.extend([Refusal::PayloadTooLarge, Refusal::UnsupportedMediaType]);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use utoipa::OpenApi;

    fn spec() -> Value {
        serde_json::to_value(crate::openapi::ApiDoc::openapi()).unwrap()
    }

    #[test]
    fn every_refusal_of_every_operation_is_a_problem() {
        let spec = spec();
        let shared = &spec["components"]["responses"];
        let mut operations = 0;
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                operations += 1;
                let responses = op["responses"].as_object().unwrap();
                let signed = op["security"].as_array().is_some_and(|s| !s.is_empty());
                assert!(responses.contains_key("500"), "{method} {path}");
                assert_eq!(responses.contains_key("401"), signed, "{method} {path}");
                for (status, response) in responses.iter().filter(|(s, _)| s.as_str() >= "400") {
                    let name = response["$ref"].as_str().unwrap_or_default();
                    let name = name.trim_start_matches("#/components/responses/");
                    let content = &shared[name]["content"]["application/problem+json"];
                    assert_eq!(
                        content["schema"]["$ref"], "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
        }
        assert!(operations >= 60, "{operations}");
    }

    #[test]
    fn statuses_follow_what_an_operation_takes() {
        let spec = spec();
        let op = |path: &str, method: &str| spec["paths"][path][method]["responses"].clone();
        let has = |r: &Value, s: &str| r.get(s).is_some();
        let list = op("/api/v1/companies", "get");
        assert!(
            !has(&list, "400") && !has(&list, "403") && !has(&list, "409"),
            "{list}"
        );
        let create = op("/api/v1/companies", "post");
        for s in ["400", "403", "404", "409", "413", "415", "422"] {
            assert!(has(&create, s), "POST /companies documents {s}");
        }
        let snapshot = op("/api/v1/modules/{module}/usage/{date}", "put");
        assert!(has(&snapshot, "403") && has(&snapshot, "413") && has(&snapshot, "415"));
        let import = op("/api/v1/companies/import", "post");
        assert!(has(&import, "415") && has(&import, "422"), "{import}");
        assert!(!has(&op("/healthz", "get"), "401"));
        let problem = &spec["components"]["schemas"]["Problem"];
        let required = problem["required"].as_array().unwrap();
        assert_eq!(required.len(), 4, "type, title, status, detail: {problem}");
        assert_eq!(problem["additionalProperties"], false);
    }
}
