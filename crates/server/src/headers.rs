//! Security headers every response gets, by what it is: API, UI page or download, vendored
//! asset. One middleware, so no route can forget them; a header a handler set stays.

use axum::extract::Request;
use axum::http::header::{
    CACHE_CONTROL, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// What HSTS says when cookies are forced `Secure`: a year, subdomains included.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Browser features no page of unitbill uses, turned off for any script that would.
const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), \
    serial=(), bluetooth=(), magnetometer=(), gyroscope=(), accelerometer=(), interest-cohort=()";

/// What a response is, for its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `/api/...`: JSON, PDF and export downloads.
    Api,
    /// Vendored CSS and JS, named by content hash: cacheable.
    Asset,
    /// Pages, forms and the UI's downloads.
    Ui,
}

fn kind(path: &str) -> Kind {
    if path.starts_with("/api/") || path == "/api" || path == "/healthz" {
        Kind::Api
    } else if path.starts_with("/assets/") {
        Kind::Asset
    } else {
        Kind::Ui
    }
}

/// Adds the headers for the request's kind; `hsts` adds Strict-Transport-Security to all.
pub async fn security_headers(hsts: bool, req: Request, next: Next) -> Response {
    let kind = kind(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let mut set = |name, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(X_CONTENT_TYPE_OPTIONS, "nosniff");
    if kind != Kind::Asset {
        // Invoices, payments and API answers are private and change: never from a cache.
        set(CACHE_CONTROL, "no-store");
    }
    if kind == Kind::Ui {
        set(X_FRAME_OPTIONS, "DENY");
        set(REFERRER_POLICY, "same-origin");
        set(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        );
        set(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        );
    }
    if hsts {
        set(STRICT_TRANSPORT_SECURITY, HSTS);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_have_kinds() {
        assert_eq!(kind("/api/v1/documents/1/pdf"), Kind::Api);
        assert_eq!(kind("/healthz"), Kind::Api);
        assert_eq!(kind("/assets/app.css"), Kind::Asset);
        assert_eq!(kind("/documents/1/download/pdf"), Kind::Ui);
        assert_eq!(kind("/"), Kind::Ui);
        assert_eq!(kind("/apiary"), Kind::Ui);
    }
}
