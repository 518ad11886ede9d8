//! The API's extractors: axum's `Json`, `Path` and `Query`, with every rejection turned into
//! the same `application/problem+json` refusal as the engine's errors, naming the field where
//! there is one. Handlers import these instead of axum's, so no refusal is plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequest, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// A JSON body (request or response). A refused body answers 400 (not JSON), 415 (not
/// `application/json`), 413 (too large) or 422 (the wrong shape, naming the field).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match <axum::Json<T> as FromRequest<S>>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(json_problem(e)),
        }
    }
}

impl<T, S> OptionalFromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        match <axum::Json<T> as OptionalFromRequest<S>>::from_request(req, state).await {
            Ok(v) => Ok(v.map(|axum::Json(v)| Json(v))),
            Err(e) => Err(json_problem(e)),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The field a serde error names: `serde_json` says "... at line 1 column 9" and, for a
/// missing or unknown field, the field's name in backticks.
fn field_of(message: &str) -> String {
    let mut parts = message.split('`');
    match (parts.next(), parts.next()) {
        (Some(_), Some(name)) if !name.is_empty() && !name.contains(' ') => name.to_owned(),
        _ => "body".to_owned(),
    }
}

fn json_problem(e: JsonRejection) -> Problem {
    match e {
        JsonRejection::JsonDataError(e) => {
            // "Failed to deserialize the JSON body into the target type: path: message".
            let text = e.body_text();
            let detail = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, rest)| rest)
                .to_owned();
            let field = match detail.split_once(": ") {
                Some((path, _)) if !path.contains(' ') && path != "." => path.to_owned(),
                _ => field_of(&detail),
            };
            Problem::field(StatusCode::UNPROCESSABLE_ENTITY, &field, detail)
        }
        JsonRejection::JsonSyntaxError(e) => Problem::field(
            StatusCode::BAD_REQUEST,
            "body",
            format!("the body is not valid JSON: {}", e.body_text()),
        ),
        JsonRejection::MissingJsonContentType(_) => Problem::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            "send the body as application/json",
        ),
        JsonRejection::BytesRejection(e) => Problem::field(
            e.status(),
            "body",
            format!("the body could not be read: {}", e.body_text()),
        ),
        other => Problem::field(other.status(), "body", other.body_text()),
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
                    // One value that does not parse: the route's only (or first) parameter.
                    _ => axum::extract::RawPathParams::from_request_parts(parts, state)
                        .await
                        .ok()
                        .and_then(|raw| raw.iter().next().map(|(k, _)| k.to_owned()))
                        .unwrap_or_else(|| "path".to_owned()),
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
                    &field_of(&detail).replace("body", "query"),
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
        assert_eq!(field_of("missing field `name` at line 1 column 2"), "name");
        assert_eq!(
            field_of("unknown field `nmae`, expected one of `name`"),
            "nmae"
        );
        assert_eq!(field_of("expected value at line 1 column 9"), "body");
    }
}
