//! The API's extractors: axum's `Json`, `Path` and `Query`, with every rejection turned into
//! the same `application/problem+json` refusal as the engine's errors, naming the field where
//! there is one. Handlers import these instead of axum's, so no refusal is plain text.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use unitbill_domain::text;

use crate::problem::Problem;

mod csv_body;
pub use csv_body::CsvBody;

/// A JSON body (request or response). A refused body answers 400 (not JSON), 415 (not
/// `application/json`), 413 (too large) or 422 (the wrong shape, naming the field).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned + 'static,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        typed(&bytes).map(Json)
    }
}

/// The body of a request that says it is JSON (415 otherwise; 413 past the body limit).
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes, Problem> {
    let is_json = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| {
            m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
        });
    if !is_json {
        return Err(Problem::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            "send the body as application/json",
        ));
    }
    body_bytes(req, state).await
}

/// The bytes of a body, refused as a problem naming `body` (413 past the body limit).
pub(crate) async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
) -> Result<axum::body::Bytes, Problem> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            Problem::field(
                e.status(),
                "body",
                format!("the body could not be read: {}", e.body_text()),
            )
        })
}

/// Longest text accepted in any string of an API body (the domain's text rule).
pub use unitbill_domain::text::MAX_TEXT_CHARS;

/// Checks every string of a body (no control characters but tab and newline, at most
/// [`MAX_TEXT_CHARS`]), then reads it as `T` straight from the text (so a key given twice is
/// refused), naming the JSON path of what is refused.
///
/// serde also reads a struct from an array of its field values (`[null, null]` as
/// `{"through": null, "from": null}`), which no schema of the document allows: a body is an
/// object, or an array of objects where a list is taken (org mappings), and no body has an
/// array of arrays, so anything else is refused before serde reads the body.
fn typed<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<T, Problem> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        Problem::field(
            StatusCode::BAD_REQUEST,
            "body",
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let objects = match &value {
        serde_json::Value::Object(_) => true,
        serde_json::Value::Array(items) => items.iter().all(serde_json::Value::is_object),
        _ => false,
    };
    if !objects {
        return Err(Problem::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "body",
            "must be a JSON object (or, where a list is taken, an array of objects)",
        ));
    }
    check_strings(&value, "")?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let field = match (path.as_str(), named_field(&inner)) {
            ("" | ".", _) => field_of(&inner, "body"),
            // A missing field is reported at the object that lacks it: name the field itself.
            (_, Some(name)) if inner.starts_with("missing field") => format!("{path}.{name}"),
            _ => path,
        };
        Problem::field(StatusCode::UNPROCESSABLE_ENTITY, &field, inner)
    })
}

fn check_strings(value: &serde_json::Value, path: &str) -> Result<(), Problem> {
    use serde_json::Value;
    let refuse = |message: String| {
        let field = if path.is_empty() { "body" } else { path };
        Err(Problem::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            field,
            message,
        ))
    };
    match value {
        Value::String(text) => match text::problems(text, text::TAB_AND_NEWLINE)
            .into_iter()
            .next()
        {
            Some(why) => refuse(why),
            None => Ok(()),
        },
        Value::Array(items) if items.iter().any(Value::is_array) => {
            refuse("must not hold arrays: its items are values or objects".into())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| check_strings(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            check_strings(v, &child)
        }),
        _ => Ok(()),
    }
}

impl<T, S> OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned + 'static,
    S: Send + Sync,
{
    type Rejection = Problem;

    /// No body at all (no Content-Type, nothing sent) is `None`; anything sent is read.
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let headers = req.headers();
        let sent = headers.contains_key(axum::http::header::CONTENT_TYPE)
            || headers
                .get(axum::http::header::CONTENT_LENGTH)
                .is_some_and(|n| n != "0");
        if !sent {
            return Ok(None);
        }
        let bytes = json_bytes(req, state).await?;
        typed(&bytes).map(|v| Some(Json(v)))
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The field a serde error names (a missing, unknown or duplicate field, in backticks), or
/// `whole` (`body`, `query`) when it names none.
fn field_of(message: &str, whole: &str) -> String {
    named_field(message).unwrap_or_else(|| whole.to_owned())
}

/// The name in backticks of a serde error about a field: missing, unknown or duplicate. Other
/// errors quote values in backticks too (``invalid type: integer `42` ``): those name none.
fn named_field(message: &str) -> Option<String> {
    let about_a_field = ["missing field", "unknown field", "duplicate field"]
        .iter()
        .any(|p| message.starts_with(p));
    let name = message.split('`').nth(1)?;
    (about_a_field && !name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
}

/// The parameter a query string error is about: serde_urlencoded prefixes its message with
/// the key (`company_id: invalid digit found in string`).
fn query_field(detail: &str) -> String {
    match detail.split_once(": ") {
        Some((key, _))
            if !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
        {
            key.to_owned()
        }
        _ => field_of(detail, "query"),
    }
}

/// Path parameters; a value of the wrong type answers 400 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                use axum::extract::path::ErrorKind;
                let field = match e.kind() {
                    ErrorKind::ParseErrorAtKey { key, .. }
                    | ErrorKind::InvalidUtf8InPathParam { key } => key.clone(),
                    ErrorKind::DeserializeError { key, .. } => key.clone(),
                    // A value of a tuple of parameters: the parameter at that place.
                    ErrorKind::ParseErrorAtIndex { index, .. } => {
                        raw_param(parts, state, *index).await
                    }
                    // One value that does not parse: the route's only (or first) parameter.
                    _ => raw_param(parts, state, 0).await,
                };
                Err(Problem::field(
                    StatusCode::BAD_REQUEST,
                    &field,
                    e.body_text(),
                ))
            }
            Err(other) => Err(Problem::field(other.status(), "path", other.body_text())),
        }
    }
}

/// The name of the route's `index`-th path parameter (`path` if there is none).
async fn raw_param<S: Send + Sync>(parts: &mut Parts, state: &S, index: usize) -> String {
    axum::extract::RawPathParams::from_request_parts(parts, state)
        .await
        .ok()
        .and_then(|raw| raw.iter().nth(index).map(|(k, _)| k.to_owned()))
        .unwrap_or_else(|| "path".to_owned())
}

/// Query parameters; a malformed query answers 400 naming the parameter when it can.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let text = e.body_text();
                let detail = text
                    .split_once(": ")
                    .map_or(text.as_str(), |(_, rest)| rest)
                    .to_owned();
                Err(Problem::field(
                    StatusCode::BAD_REQUEST,
                    &query_field(&detail),
                    detail,
                ))
            }
            Err(other) => Err(Problem::field(other.status(), "query", other.body_text())),
        }
    }
}

/// Unknown routes under `/api/`: a problem, not an empty 404.
pub async fn not_found(uri: axum::http::Uri) -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no API route {}", uri.path()),
    )
}

/// A known route called with a method it does not take.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!("{} does not take {method}", uri.path()),
    )
}

/// The last net: a handler that panics answers 500 problem+json, and the panic is logged.
pub fn panic_problem(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "unknown panic".to_owned());
    tracing::error!(panic = %message, "a request handler panicked; its transaction, if any, was rolled back");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "the server failed on this request; it has been logged",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn serde_messages_name_their_field() {
        assert_eq!(
            field_of("missing field `name` at line 1 column 2", "body"),
            "name"
        );
        assert_eq!(
            field_of("unknown field `nmae`, expected one of `name`", "body"),
            "nmae"
        );
        assert_eq!(
            field_of("expected value at line 1 column 9", "body"),
            "body"
        );
        assert_eq!(field_of("invalid digit found in string", "query"), "query");
        assert_eq!(
            field_of("invalid type: integer `42`, expected a list", "body"),
            "body"
        );
        assert_eq!(
            super::query_field("dry_run: provided string was not `true` or `false`"),
            "dry_run"
        );
        assert_eq!(super::query_field("missing field `to`"), "to");
    }
}

#[cfg(test)]
mod shape_tests {
    use serde::Deserialize;

    use super::typed;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Line {
        #[allow(dead_code)]
        amount: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[allow(dead_code)]
        lines: Vec<Line>,
    }

    #[test]
    fn a_struct_is_read_only_from_an_object() {
        let refused = typed::<Line>(b"[null]").expect_err("an array is not an object");
        assert_eq!(
            (refused.status, refused.field.as_deref()),
            (422, Some("body"))
        );
        let refused = typed::<Body>(br#"{"lines": [["1"]]}"#).expect_err("an array of arrays");
        assert_eq!(refused.field.as_deref(), Some("lines"));
        assert!(typed::<Body>(br#"{"lines": [{"amount": "1"}]}"#).is_ok());
        assert!(
            typed::<serde_json::Value>(b"[{}]").is_ok(),
            "any JSON may be an array"
        );
    }
}
