//! The UI's static files, compiled into the binary: nothing is loaded from elsewhere.
//! URLs carry a hash of the content (`?v=`), so browsers may cache them for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const CSS: &str = include_str!("../../assets/app.css");
/// htmx 2 (BSD Zero Clause licence, see `assets/htmx.LICENSE`), from the npm package `htmx.org`.
const HTMX: &str = include_str!("../../assets/htmx.min.js");

fn versioned(name: &str, body: &str) -> &'static str {
    let hash = hex::encode(&Sha256::digest(body.as_bytes())[..6]);
    Box::leak(format!("/assets/{name}?v={hash}").into_boxed_str())
}

static CSS_URL: LazyLock<&'static str> = LazyLock::new(|| versioned("app.css", CSS));
static JS_URL: LazyLock<&'static str> = LazyLock::new(|| versioned("htmx.min.js", HTMX));

pub(crate) fn css_url() -> &'static str {
    &CSS_URL
}

pub(crate) fn js_url() -> &'static str {
    &JS_URL
}

pub(crate) async fn serve(Path(name): Path<String>) -> Response {
    let (body, kind) = match name.as_str() {
        "app.css" => (CSS, "text/css; charset=utf-8"),
        "htmx.min.js" => (HTMX, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        body,
    )
        .into_response()
}
