//! Ingestion: modules push daily snapshots with their module key.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use unitbill_domain::catalog::UnitOfMeasure;
use unitbill_domain::json::{JsonError, parse_strict};
use unitbill_domain::usage::{FieldError, NdjsonReader, Snapshot};
use unitbill_engine::ingest::SnapshotBody;
use unitbill_store::{SnapshotOutcome, UsageRevision};

use crate::AppState;
use crate::auth::{ModuleCaller, TenantCaller};
use crate::extract::{Json, Path};
use crate::problem::{ApiResult, Problem};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/modules/{module}/usage/{date}",
            get(get_snapshot).put(put_snapshot),
        )
        .route(
            "/api/v1/modules/{module}/usage/{date}/revisions",
            get(revisions),
        )
}

/// A daily snapshot as a module sends it (documentation of the JSON form).
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
#[schema(example = json!({"complete": true, "organizations": [{"id": "site-1", "name": "Contoso HQ", "parent_id": null, "usage": {"desktop": 4}}]}))]
pub struct SnapshotRequest {
    /// `true`: the snapshot lists every org and billing type of the day; whatever is absent is 0.
    /// `false`: only the listed values change (merged into the day's complete snapshot if there
    /// is one; otherwise unlisted values read through to earlier days).
    complete: bool,
    organizations: Vec<OrgUsageRequest>,
}

/// One organization of a snapshot.
#[allow(dead_code)]
#[derive(utoipa::ToSchema)]
pub struct OrgUsageRequest {
    /// The module's id of the organization (1 to 255 characters), unique in the snapshot.
    #[schema(min_length = 1, max_length = 255)]
    id: String,
    #[schema(max_length = 255)]
    name: String,
    #[schema(max_length = 255)]
    parent_id: Option<String>,
    /// Billing type code -> quantity: a JSON integer 0..=1000000000 for `count` types, a JSON
    /// boolean for `flag` types.
    #[schema(value_type = Object)]
    usage: BTreeMap<String, Value>,
}

/// The result of storing a snapshot.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotStored {
    pub module: String,
    pub date: String,
    /// False when the snapshot repeated what was stored: nothing changed.
    pub changed: bool,
    /// Increases by one with every snapshot that changed the day.
    pub version: i64,
    pub values_written: usize,
    pub revisions: usize,
    pub new_orgs: usize,
}

/// A stored snapshot, read back.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SnapshotView {
    pub module: String,
    pub date: String,
    pub complete: bool,
    pub version: i64,
    pub received_at: String,
    pub received_by: String,
    pub organizations: Vec<OrgUsageView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrgUsageView {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    #[schema(value_type = Object)]
    pub usage: BTreeMap<String, Value>,
}

/// The form a snapshot is sent in, by its Content-Type: JSON, NDJSON, or neither (415).
fn snapshot_form(headers: &HeaderMap) -> Result<bool, Problem> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok());
    match mime {
        Some(m)
            if m.type_() == "application"
                && matches!(m.subtype().as_str(), "x-ndjson" | "ndjson") =>
        {
            Ok(true)
        }
        Some(m)
            if m.type_() == "application"
                && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json")) =>
        {
            Ok(false)
        }
        _ => Err(Problem::field(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type",
            "send the snapshot as application/json, or application/x-ndjson for large ones",
        )),
    }
}

/// Store a module's daily snapshot.
///
/// Send `application/json` (the whole snapshot) or, for large snapshots, `application/x-ndjson`:
/// a first line `{"complete": true|false}` followed by one organization object per line. Either
/// form is stored in one transaction: all or nothing. The last snapshot for a (module, date)
/// wins; sending the same one again changes nothing.
#[utoipa::path(
    put,
    path = "/api/v1/modules/{module}/usage/{date}",
    params(("module" = String, Path, description = "module code", example = "datto-rmm"), ("date" = String, Path, format = Date, example = "2026-02-01", description = "civil date YYYY-MM-DD")),
    request_body(content(
        (SnapshotRequest = "application/json"),
        (String = "application/x-ndjson", example = json!("{\"complete\": true}\n{\"id\": \"site-1\", \"name\": \"Acme\", \"usage\": {\"desktop\": 4}}\n"))
    )),
    responses(
        (status = 200, body = SnapshotStored),
    ),
    security(("module_key" = [])),
    tag = "ingestion"
)]
pub async fn put_snapshot(
    State(state): State<AppState>,
    caller: ModuleCaller,
    Path((module, date)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<SnapshotStored>> {
    let ndjson = snapshot_form(&headers)?;
    let outcome: SnapshotOutcome = if ndjson {
        let read = read_ndjson(body, state.limits.ndjson_bytes).await?;
        state
            .engine
            .ingest_snapshot(&caller.0, &module, &date, SnapshotBody::Read(read))
            .await?
    } else {
        let limit = state.limits.json_bytes;
        let bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| too_large(limit))?;
        let value = parse_strict(&bytes).map_err(|e| match e {
            JsonError::Syntax(_) => Problem::field(StatusCode::BAD_REQUEST, "body", e.to_string()),
            JsonError::DuplicateKey { ref path, .. } => {
                Problem::field(StatusCode::UNPROCESSABLE_ENTITY, path, e.to_string())
            }
        })?;
        state
            .engine
            .ingest_snapshot(&caller.0, &module, &date, SnapshotBody::Json(&value))
            .await?
    };
    Ok(Json(SnapshotStored {
        module,
        date,
        changed: outcome.changed,
        version: outcome.version,
        values_written: outcome.values_written,
        revisions: outcome.revisions,
        new_orgs: outcome.new_orgs,
    }))
}

fn too_large(limit: usize) -> Problem {
    Problem::field(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body",
        format!("the body is larger than {limit} bytes; send the NDJSON form"),
    )
}

/// Reads an NDJSON snapshot line by line as it arrives: memory holds the parsed orgs and one
/// chunk, never the whole body. The whole body is still read (and refused past `limit`) before
/// anything is stored.
async fn read_ndjson(
    body: Body,
    limit: usize,
) -> Result<Result<Snapshot, Vec<FieldError>>, Problem> {
    use futures::StreamExt;
    let mut reader = NdjsonReader::new();
    let mut stream = body.into_data_stream();
    let mut pending: Vec<u8> = Vec::new();
    let mut total = 0usize;
    let mut reading = true;
    let line = |reader: &mut NdjsonReader, bytes: &[u8]| -> Result<bool, Problem> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Problem::field(StatusCode::BAD_REQUEST, "body", "is not UTF-8"))?;
        Ok(reader.line(text.strip_suffix('\r').unwrap_or(text)))
    };
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            Problem::field(
                StatusCode::BAD_REQUEST,
                "body",
                format!("could not be read: {e}"),
            )
        })?;
        total += chunk.len();
        if total > limit {
            return Err(too_large(limit));
        }
        pending.extend_from_slice(&chunk);
        // Whole lines are parsed now; the tail waits for the next chunk.
        let Some(last_break) = pending.iter().rposition(|b| *b == b'\n') else {
            continue;
        };
        if reading {
            for l in pending[..last_break].split(|b| *b == b'\n') {
                if !line(&mut reader, l)? {
                    reading = false;
                    break;
                }
            }
        }
        pending.drain(..=last_break);
    }
    if reading && !pending.is_empty() {
        line(&mut reader, &pending)?;
    }
    Ok(reader.finish())
}

/// Read a stored snapshot back, as the day reads after merges.
#[utoipa::path(
    get,
    path = "/api/v1/modules/{module}/usage/{date}",
    params(("module" = String, Path, example = "datto-rmm"), ("date" = String, Path, format = Date, example = "2026-02-01")),
    responses((status = 200, body = SnapshotView)),
    security(("module_key" = [])),
    tag = "ingestion"
)]
pub async fn get_snapshot(
    State(state): State<AppState>,
    caller: ModuleCaller,
    Path((module, date)): Path<(String, String)>,
) -> ApiResult<Json<SnapshotView>> {
    let engine = &state.engine;
    let stored = engine.read_snapshot(&caller.0, &module, &date).await?;
    let definition = engine
        .module_definition(caller.0.tenant_id, &module)
        .await?;
    let orgs = engine
        .module_orgs(caller.0.tenant_id, Some(&module))
        .await?;
    let names: BTreeMap<&str, (&str, Option<&str>)> = orgs
        .iter()
        .map(|o| (o.org_id.as_str(), (o.name.as_str(), o.parent_id.as_deref())))
        .collect();
    let mut by_org: BTreeMap<&str, BTreeMap<String, Value>> = BTreeMap::new();
    for v in &stored.values {
        let flag = definition
            .billing_type(v.billing_type.as_str())
            .is_some_and(|b| b.unit == UnitOfMeasure::Flag);
        let value = if flag {
            Value::Bool(v.quantity != 0)
        } else {
            Value::from(v.quantity)
        };
        by_org
            .entry(v.org_id.as_str())
            .or_default()
            .insert(v.billing_type.to_string(), value);
    }
    let organizations = by_org
        .into_iter()
        .map(|(id, usage)| {
            let (name, parent) = names.get(id).copied().unwrap_or((id, None));
            OrgUsageView {
                id: id.to_owned(),
                name: name.to_owned(),
                parent_id: parent.map(str::to_owned),
                usage,
            }
        })
        .collect();
    Ok(Json(SnapshotView {
        module,
        date,
        complete: stored.complete,
        version: stored.version,
        received_at: stored.received_at,
        received_by: stored.received_by,
        organizations,
    }))
}

/// Every change to a stored value of that day (who, when, old, new).
#[utoipa::path(
    get,
    path = "/api/v1/modules/{module}/usage/{date}/revisions",
    params(("module" = String, Path, example = "datto-rmm"), ("date" = String, Path, format = Date, example = "2026-02-01")),
    responses((status = 200, body = Vec<Object>)),
    security(("api_token" = [])),
    tag = "ingestion"
)]
pub async fn revisions(
    State(state): State<AppState>,
    caller: TenantCaller,
    Path((module, date)): Path<(String, String)>,
) -> ApiResult<Json<Vec<UsageRevision>>> {
    let date = unitbill_engine::ingest::parse_date("date", &date)?;
    let rows = state
        .engine
        .usage_revisions(caller.tenant_id(), &module, date)
        .await?;
    Ok(Json(rows))
}
