//! One hostile request and what it must be answered with.

/// Who signs the request.
#[derive(Debug, Clone)]
pub enum Auth {
    /// The tenant's admin API token.
    Admin,
    /// A token of the tenant with the billing role.
    Billing,
    /// A token of the tenant with the viewer role.
    Viewer,
    /// The tenant's Datto RMM module key.
    Module,
    /// The other tenant's admin API token.
    OtherTenant,
    /// No `Authorization` header.
    Nothing,
    /// This exact `Authorization` header.
    Header(String),
}

/// A request, the status it must get, and the `field` its problem must name (`None`: the
/// problem names no field).
#[derive(Debug, Clone)]
pub struct Case {
    pub group: &'static str,
    pub method: &'static str,
    pub path: String,
    pub auth: Auth,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub status: u16,
    pub field: Option<String>,
}

impl Case {
    /// A request with a JSON body (`application/json`), signed with the admin token. The
    /// expectation is set with [`Case::expect`].
    pub fn json(
        group: &'static str,
        method: &'static str,
        path: impl Into<String>,
        body: &str,
    ) -> Self {
        Self {
            group,
            method,
            path: path.into(),
            auth: Auth::Admin,
            content_type: Some("application/json".into()),
            body: body.as_bytes().to_vec(),
            status: 0,
            field: None,
        }
    }

    /// A request without a body or Content-Type, signed with the admin token.
    pub fn bare(group: &'static str, method: &'static str, path: impl Into<String>) -> Self {
        Self {
            content_type: None,
            body: Vec::new(),
            ..Self::json(group, method, path, "")
        }
    }

    /// The status the request must get and the field it must name (`""`: none).
    pub fn expect(mut self, status: u16, field: &str) -> Self {
        self.status = status;
        self.field = (!field.is_empty()).then(|| field.to_owned());
        self
    }

    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Replaces the Content-Type (`None`: sends none).
    pub fn content_type(mut self, ct: Option<&str>) -> Self {
        self.content_type = ct.map(str::to_owned);
        self
    }

    pub fn body_bytes(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    /// One line naming the request, for failure reports.
    pub fn label(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let body: String = body.chars().take(120).collect();
        format!(
            "[{}] {:?} {} {} ({}) {}",
            self.group,
            self.auth,
            self.method,
            self.path,
            self.content_type.as_deref().unwrap_or("no Content-Type"),
            body.escape_debug()
        )
    }
}

/// A JSON text with `s` as a string, escaped as JSON escapes it.
pub fn js(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// A string of `n` times `c`.
pub fn long(n: usize) -> String {
    "x".repeat(n)
}
