//! A CSV request body: `text/csv` in UTF-8, refused as problem+json like every other body.

use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;

use crate::problem::Problem;

/// The text of a `text/csv` body. A refused body answers 415 (another Content-Type), 413 (too
/// large) or 400 (not UTF-8), naming `Content-Type` or `body`.
#[derive(Debug, Clone)]
pub struct CsvBody(pub String);

impl<S: Send + Sync> FromRequest<S> for CsvBody {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        let is_csv = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| m.type_() == "text" && m.subtype() == "csv");
        if !is_csv {
            return Err(Problem::field(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type",
                "send the file as text/csv",
            ));
        }
        let bytes = super::body_bytes(req, state).await?;
        String::from_utf8(bytes.into()).map(CsvBody).map_err(|e| {
            Problem::field(
                StatusCode::BAD_REQUEST,
                "body",
                format!(
                    "the file is not UTF-8 (byte {}); save it as UTF-8 CSV",
                    e.utf8_error().valid_up_to()
                ),
            )
        })
    }
}
