//! The one mapping from engine errors to HTTP: RFC 9457 `application/problem+json` bodies that
//! name the offending field.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use unitbill_domain::usage::FieldError;
use unitbill_engine::EngineError;

/// An error response (RFC 9457), sent as `application/problem+json`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "https://unitbill.dev/problems/invalid-request")]
    pub kind: String,
    /// The status's reason phrase.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599, example = 422)]
    pub status: u16,
    /// What is wrong, for a person.
    pub detail: String,
    /// The first refused field (JSON path or parameter name), when a field is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(required = false, value_type = String, example = "name")]
    pub field: Option<String>,
    /// Every refused field with its reason (absent when no field is to blame).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(required = false, value_type = Vec<ProblemField>)]
    pub errors: Vec<FieldError>,
}

/// One refused field of a [`Problem`] (the document's view of `FieldError`).
#[allow(dead_code)]
#[derive(Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemField {
    /// The JSON path or parameter name.
    field: String,
    /// Why it is refused.
    message: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("https://unitbill.dev/problems/{kind}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            field: None,
            errors: Vec::new(),
        }
    }

    pub fn invalid(mut errors: Vec<FieldError>) -> Self {
        // An error about the whole body (not one field of it) names `body`, as the
        // extractors do.
        for e in errors.iter_mut().filter(|e| e.field.is_empty()) {
            e.field = "body".to_owned();
        }
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            field: errors.first().map(|e| e.field.clone()),
            errors,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid-request", detail)
        }
    }

    pub fn field(status: StatusCode, field: &str, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self {
            field: Some(field.to_owned()),
            errors: vec![FieldError::new(field, detail.clone())],
            ..Self::new(status, "invalid-request", detail)
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<EngineError> for Problem {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Invalid(errors) => Self::invalid(errors),
            EngineError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "not-found",
                format!("not found: {what}"),
            ),
            EngineError::Conflict(what) => Self::new(StatusCode::CONFLICT, "conflict", what),
            EngineError::Unauthorized => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "send a valid key as `Authorization: Bearer <key>`",
            ),
            EngineError::Forbidden(what) => Self::new(StatusCode::FORBIDDEN, "forbidden", what),
            EngineError::Store(err) => {
                tracing::error!(error = %err, "storage failure");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not complete the request; nothing was changed",
                )
            }
        }
    }
}

/// Handler result.
pub type ApiResult<T> = Result<T, Problem>;
