//! Crash test of the real binary: `unitbill serve` is killed with SIGKILL at 20+ seeded points
//! while it ingests snapshots, syncs, runs invoices and posts them, and restarted each time.
//!
//! The story, per backend: a tenant made with the CLI (`tenant create`, `token create`,
//! `module connect`), 8 companies with an arrears contract billing Datto RMM desktops and
//! servers, 17 module orgs; a complete snapshot for every day of January and February 2027;
//! January synced, run and posted. Then rounds of: one operation (a batch of late corrections,
//! complete or partial; the sync, sometimes recomputing from the window's start; the invoice
//! run of the open period, sometimes posting; posting its drafts), a SIGKILL at a seeded moment
//! within about that operation's duration (one in six after it finished), a restart, and the
//! checks (DESIGN.md, "Consistency"):
//! - a snapshot whose answer was lost in the crash was stored all or nothing; the module sends
//!   it again (idempotent), and that answer counts;
//! - after an ordinary (incremental) sync the unit history is what the acknowledged snapshots
//!   say. Every day has a complete snapshot and mappings never change, so the test computes
//!   U(cs, d) itself. A difference is recorded with the kill that caused it and repaired with
//!   a full recompute, so later rounds find only what later kills do; all are reported at the
//!   end.
//!
//! At the end: every acknowledged snapshot reads back exactly as acknowledged last; the unit
//! history equals that of an uninterrupted run on a second fresh database fed the same
//! acknowledged inputs; posted invoice and credit-note numbers have no duplicate and no gap,
//! every acknowledged posting is still there, and no company has two posted invoices for one
//! period.
//!
//! Runs on SQLite, and on PostgreSQL when `UNITBILL_TEST_DATABASE_URL` is set. The choices are
//! seeded (`CRASH_SEED`, default 7); where a kill lands depends on timing, so each kill is
//! counted as interrupting its operation or coming after it. Each backend is bounded to about a
//! minute (`CRASH_KILLS`, default 60 kills, and a 40 s budget for the killing rounds).
//! `CRASH_SPARE=Sync,InvoiceRun,Ingest` kills those operations only once they finished (to
//! tell which kind of kill a problem comes from); `CRASH_VERBOSE=1` prints every kill.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use jiff::ToSpan;
use jiff::civil::{Date, date};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

/// The billed window: two months, every day of which gets a complete snapshot first.
const W0: Date = date(2027, 1, 1);
const W1: Date = date(2027, 2, 28);
const MODULE: &str = "datto-rmm";
const BILLING_TYPES: [&str; 2] = ["desktop", "server"];
/// Companies, each with an arrears contract billing desktops and servers.
const COMPANIES: usize = 8;
/// Module orgs: two per company (org 2c and 2c+1 map to company c), the last stays unmapped.
const ORGS: usize = 2 * COMPANIES + 1;
const SLUG: &str = "crash-msp";
const KILL_BUDGET: Duration = Duration::from_secs(40);

/// (org index, billing type index) -> quantity.
type Values = BTreeMap<(usize, usize), i64>;

fn org_id(o: usize) -> String {
    format!("org-{o}")
}

fn days() -> impl Iterator<Item = Date> {
    W0.series(1.day()).take_while(|d| *d <= W1)
}

/// The test clock of a server's `life`-th start: the day after the window, 2 minutes later
/// at each start, so that a sync lease left by a killed process (60 s) has expired. The
/// tenant's sync hour is 23, so setting the clock never starts the scheduled sync.
fn clock(life: u32) -> String {
    let t: jiff::Timestamp = "2027-03-01T00:00:00Z".parse().unwrap();
    (t + (2 * i64::from(life)).minutes()).to_string()
}

// ---------------------------------------------------------------------------------------------
// The binary, its databases and its lives.

#[derive(Clone)]
struct Db {
    url: String,
    /// The PostgreSQL server the database was created on (to drop it afterwards).
    admin: Option<String>,
}

async fn fresh_db(postgres: Option<&str>, tag: &str) -> Db {
    match postgres {
        None => {
            let dir = std::env::temp_dir().join("unitbill-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let file = dir.join(format!("crash_{}_{tag}.db", std::process::id()));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
            }
            Db {
                url: format!("sqlite://{}", file.display()),
                admin: None,
            }
        }
        Some(admin) => Db {
            url: unitbill_store::testing::fresh_postgres(admin).await,
            admin: Some(admin.to_owned()),
        },
    }
}

impl Db {
    fn remove(&self) {
        match &self.admin {
            None => {
                let path = self.url.trim_start_matches("sqlite://");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
            Some(admin) => {
                let name = self.url.rsplit('/').next().unwrap_or_default();
                let name = name.split('?').next().unwrap_or_default();
                let _ = std::process::Command::new("psql")
                    .arg(admin)
                    .arg("-qc")
                    .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

/// Runs a CLI verb with `--json` and returns what it printed.
fn cli(db: &Db, args: &[&str]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_unitbill"))
        .arg("--database-url")
        .arg(&db.url)
        .args(args)
        .arg("--json")
        .env("UNITBILL_LOG", "warn")
        .output()
        .expect("run unitbill");
    assert!(
        out.status.success(),
        "unitbill {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON output")
}

struct Server {
    child: tokio::process::Child,
    base: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `unitbill serve --test-clock` on a free port and waits until it answers.
async fn start(db: &Db, log: &PathBuf) -> Server {
    for _ in 0..5 {
        let port = free_port();
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_unitbill"))
            .arg("--database-url")
            .arg(&db.url)
            .args(["serve", "--test-clock", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .env("UNITBILL_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .kill_on_drop(true)
            .spawn()
            .expect("spawn unitbill serve");
        let mut server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = server.child.try_wait() {
                break; // it exited (the port was taken, say): try another port
            }
            if let Ok(r) = http.get(format!("{}/healthz", server.base)).send().await
                && r.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = server.child.kill().await;
    }
    panic!("unitbill serve did not start; see {}", log.display());
}

impl Server {
    /// SIGKILL (what `Child::kill` sends on Unix), and the process reaped.
    async fn kill(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
}

// ---------------------------------------------------------------------------------------------
// The API as the test uses it.

#[derive(Clone)]
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
    key: String,
}

type Answer = Result<(u16, Value), String>;

impl Api {
    async fn send(&self, method: &str, path: &str, body: Option<Value>, module: bool) -> Answer {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .bearer_auth(if module { &self.key } else { &self.token });
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(|e| e.to_string())?;
        Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }

    /// A request that must succeed (no kill is pending).
    async fn ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.send(method, path, body, false).await {
            Ok((s, v)) if (200..300).contains(&s) => v,
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    async fn put_snapshot(&self, day: Date, complete: bool, values: &Values) -> Answer {
        let mut orgs: BTreeMap<usize, serde_json::Map<String, Value>> = BTreeMap::new();
        for ((o, b), q) in values {
            orgs.entry(*o)
                .or_default()
                .insert(BILLING_TYPES[*b].into(), json!(q));
        }
        let body = json!({
            "complete": complete,
            "organizations": orgs.into_iter().map(|(o, usage)| json!({
                "id": org_id(o), "name": format!("Org {o}"), "usage": usage
            })).collect::<Vec<_>>(),
        });
        self.send(
            "PUT",
            &format!("/api/v1/modules/{MODULE}/usage/{day}"),
            Some(body),
            true,
        )
        .await
    }

    /// The stored snapshot of a day, as (complete, values), or None.
    async fn read_snapshot(&self, day: Date) -> Option<(bool, Values)> {
        let (status, v) = self
            .send(
                "GET",
                &format!("/api/v1/modules/{MODULE}/usage/{day}"),
                None,
                true,
            )
            .await
            .expect("read back");
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "GET usage {day}: {v}");
        let mut values = Values::new();
        for o in v["organizations"].as_array().unwrap() {
            let id = o["id"].as_str().unwrap();
            let oi: usize = id.trim_start_matches("org-").parse().unwrap();
            for (bt, q) in o["usage"].as_object().unwrap() {
                let bi = BILLING_TYPES.iter().position(|b| b == bt).unwrap();
                values.insert((oi, bi), q.as_i64().unwrap());
            }
        }
        Some((v["complete"].as_bool().unwrap(), values))
    }

    async fn set_clock(&self, life: u32) {
        self.ok(
            "PUT",
            "/api/v1/test-clock",
            Some(json!({"now": clock(life)})),
        )
        .await;
    }

    /// The sync through the window's end, retried while another holder has the lease.
    async fn sync(&self) -> Value {
        for _ in 0..50 {
            let r = self
                .ok(
                    "POST",
                    "/api/v1/sync",
                    Some(json!({"through": W1.to_string()})),
                )
                .await;
            if r["busy"] != json!(true) {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the sync lease stayed busy");
    }

    async fn unit_history(&self) -> Vec<Value> {
        self.ok(
            "GET",
            &format!("/api/v1/unit-history?from={W0}&to={W1}"),
            None,
        )
        .await
        .as_array()
        .unwrap()
        .clone()
    }
}

/// Creates the tenant, its token and module key with the CLI, starts a server and sets up
/// companies, services, contracts, mappings and billing through the API. Returns the API, the
/// server, and the contract service ids in creation order.
async fn setup(db: &Db, log: &PathBuf) -> (Api, Server, Vec<i64>) {
    cli(
        db,
        &[
            "tenant",
            "create",
            "--slug",
            SLUG,
            "--name",
            "Crash MSP",
            "--time-zone",
            "UTC",
            "--sync-hour",
            "23",
        ],
    );
    let token = cli(
        db,
        &["token", "create", "--tenant", SLUG, "--name", "crash"],
    )["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = cli(db, &["module", "connect", MODULE, "--tenant", SLUG])["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let server = start(db, log).await;
    let api = Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap(),
        base: server.base.clone(),
        token,
        key,
    };
    api.set_clock(0).await;
    // The orgs exist (can be mapped) once reported: a zero snapshot the day before the window.
    let zero: Values = (0..ORGS).map(|o| ((o, 0), 0)).collect();
    match api.put_snapshot(W0 - 1.day(), true, &zero).await {
        Ok((200, _)) => {}
        other => panic!("registration snapshot: {other:?}"),
    }
    let mut companies = Vec::new();
    for i in 0..COMPANIES {
        let c = api
            .ok(
                "POST",
                "/api/v1/companies",
                Some(json!({"name": format!("Client {i}")})),
            )
            .await;
        companies.push(c["id"].as_i64().unwrap());
    }
    let mut services = Vec::new();
    for (name, price) in [("RMM desktop", "5.00"), ("RMM server", "20.00")] {
        let s = api
            .ok(
                "POST",
                "/api/v1/services",
                Some(json!({"name": name, "unit_price": price})),
            )
            .await;
        services.push(s["id"].as_i64().unwrap());
    }
    let mut cs = Vec::new();
    for company in &companies {
        let k = api
            .ok(
                "POST",
                "/api/v1/contracts",
                Some(json!({"company_id": company, "start_date": W0.to_string(), "timing": "arrears"})),
            )
            .await;
        let k = k["id"].as_i64().unwrap();
        for (service, bt) in services.iter().zip(BILLING_TYPES) {
            let c = api
                .ok(
                    "POST",
                    &format!("/api/v1/contracts/{k}/services"),
                    Some(json!({"service_id": service})),
                )
                .await;
            let c = c["id"].as_i64().unwrap();
            api.ok(
                "POST",
                &format!("/api/v1/contracts/{k}/service-mappings"),
                Some(json!({"module": MODULE, "billing_type": bt, "contract_service_id": c})),
            )
            .await;
            cs.push(c);
        }
    }
    api.ok(
        "PUT",
        &format!("/api/v1/modules/{MODULE}/billing"),
        Some(json!({"enabled": true})),
    )
    .await;
    let mappings: Vec<Value> = (0..ORGS - 1)
        .map(|o| json!({"module": MODULE, "org_id": org_id(o), "company_id": companies[o / 2]}))
        .collect();
    api.ok("POST", "/api/v1/org-mappings", Some(Value::Array(mappings)))
        .await;
    (api, server, cs)
}

// ---------------------------------------------------------------------------------------------
// The model of what was acknowledged.

#[derive(Clone, Debug, PartialEq, Eq)]
struct DayState {
    complete: bool,
    values: Values,
}

impl DayState {
    /// The replace semantics: a complete snapshot replaces the day, a partial one is merged.
    fn after(before: Option<&DayState>, complete: bool, values: &Values) -> DayState {
        match before {
            Some(b) if !complete => {
                let mut v = b.values.clone();
                v.extend(values.clone());
                DayState {
                    complete: b.complete,
                    values: v,
                }
            }
            _ => DayState {
                complete,
                values: values.clone(),
            },
        }
    }

    /// As compared: on a complete day an absent value is 0.
    fn normalized(&self) -> (bool, Values) {
        let mut v = self.values.clone();
        if self.complete {
            v.retain(|_, q| *q != 0);
        }
        (self.complete, v)
    }
}

fn normalize(read: Option<(bool, Values)>) -> Option<(bool, Values)> {
    read.map(|(complete, values)| DayState { complete, values }.normalized())
}

#[derive(Clone, Debug)]
struct Snap {
    day: Date,
    complete: bool,
    values: Values,
}

fn random_values(rng: &mut ChaCha8Rng, complete: bool) -> Values {
    let mut v = Values::new();
    if complete {
        for o in 0..ORGS {
            if rng.random_bool(0.8) {
                for b in 0..BILLING_TYPES.len() {
                    v.insert((o, b), rng.random_range(0..30));
                }
            }
        }
    } else {
        for _ in 0..rng.random_range(1..4) {
            v.insert(
                (rng.random_range(0..ORGS), rng.random_range(0..2)),
                rng.random_range(0..30),
            );
        }
    }
    v
}

/// U(cs, d) as the acknowledged snapshots say: every day of the window has a complete
/// snapshot (partials are merged into it), mappings and contracts never change, so the units of
/// company c's desktop (server) service are the sum of its two orgs' desktops (servers) that
/// day. Keyed by (contract service index, day).
fn expected_units(model: &BTreeMap<Date, DayState>) -> BTreeMap<(usize, String), String> {
    let mut out = BTreeMap::new();
    for d in days() {
        let values = &model[&d].values;
        for c in 0..COMPANIES {
            for b in 0..BILLING_TYPES.len() {
                let u: i64 = [2 * c, 2 * c + 1]
                    .iter()
                    .map(|o| values.get(&(*o, b)).copied().unwrap_or(0))
                    .sum();
                out.insert((2 * c + b, d.to_string()), format!("{u} stale=false"));
            }
        }
    }
    out
}

/// A unit history from the API, keyed like [`expected_units`].
fn units_view(rows: &[Value], ids: &[i64]) -> BTreeMap<(usize, String), String> {
    rows.iter()
        .map(|r| {
            let cs = r["contract_service_id"].as_i64().unwrap();
            let i = ids.iter().position(|c| *c == cs).unwrap();
            (
                (i, r["day"].as_str().unwrap().to_owned()),
                format!("{} stale={}", r["units"].as_str().unwrap(), r["stale"]),
            )
        })
        .collect()
}

fn units_diff(
    got: &BTreeMap<(usize, String), String>,
    want: &BTreeMap<(usize, String), String>,
    got_name: &str,
    want_name: &str,
) -> Vec<String> {
    got.keys()
        .chain(want.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .filter(|k| got.get(*k) != want.get(*k))
        .map(|k| {
            format!(
                "  cs#{} {}: {got_name} {:?}, {want_name} {:?}",
                k.0,
                k.1,
                got.get(k),
                want.get(k)
            )
        })
        .collect()
}

/// The stored unit history must be what the acknowledged snapshots say. A difference is
/// described (and repaired with a full recompute, so that later checks find only what later
/// kills do).
async fn check_units(
    api: &Api,
    model: &BTreeMap<Date, DayState>,
    cs: &[i64],
    when: &str,
) -> Option<String> {
    let want = expected_units(model);
    let got = units_view(&api.unit_history().await, cs);
    let diffs = units_diff(&got, &want, "stored", "the acknowledged snapshots say");
    if diffs.is_empty() {
        return None;
    }
    // For the diagnosis: does a full recompute from the same stored snapshots fix it?
    api.ok(
        "POST",
        "/api/v1/sync",
        Some(json!({"from": W0.to_string(), "through": W1.to_string()})),
    )
    .await;
    let fixed = units_view(&api.unit_history().await, cs) == want;
    Some(format!(
        "{when}, the ordinary sync left {} unit-history rows different from what the acknowledged snapshots say:\n{}\n  {}",
        diffs.len(),
        diffs.into_iter().take(4).collect::<Vec<_>>().join("\n"),
        if fixed {
            "A full recompute (sync from the window's start) fixes them: the snapshots are stored right, the incremental sync lost days it had to recompute."
        } else {
            "A full recompute does not fix them either."
        }
    ))
}

/// A snapshot sent while no kill is pending: it must be acknowledged.
async fn correct(api: &Api, model: &mut BTreeMap<Date, DayState>, s: &Snap) {
    match api.put_snapshot(s.day, s.complete, &s.values).await {
        Ok((200, _)) => {
            let after = DayState::after(model.get(&s.day), s.complete, &s.values);
            model.insert(s.day, after);
        }
        other => panic!("snapshot {}: {other:?}", s.day),
    }
}

// ---------------------------------------------------------------------------------------------
// The operations a kill interrupts.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Ingest,
    Sync,
    InvoiceRun,
    Post,
}

/// What an operation got answered before the kill.
#[derive(Default)]
struct Outcome {
    /// Snapshots acknowledged, in order.
    acked: Vec<Snap>,
    /// The snapshot whose answer was lost (it may or may not be stored).
    in_flight: Option<Snap>,
    /// Documents whose posting was acknowledged: (id, number).
    posted: Vec<(i64, String)>,
    /// A request's answer was lost: the kill landed inside the operation.
    interrupted: bool,
}

fn posted_of(docs: &Value) -> Vec<(i64, String)> {
    docs.as_array()
        .into_iter()
        .flatten()
        .filter(|d| d["status"] != "draft")
        .filter_map(|d| Some((d["id"].as_i64()?, d["number"].as_str()?.to_owned())))
        .collect()
}

async fn run_op(api: Api, kind: Kind, snaps: Vec<Snap>, arg: Value) -> Outcome {
    let mut out = Outcome::default();
    match kind {
        Kind::Ingest => {
            for s in snaps {
                match api.put_snapshot(s.day, s.complete, &s.values).await {
                    Ok((200, _)) => out.acked.push(s),
                    Ok(other) => panic!("snapshot {} refused: {other:?}", s.day),
                    Err(_) => {
                        out.in_flight = Some(s);
                        out.interrupted = true;
                        break;
                    }
                }
            }
        }
        Kind::Sync | Kind::InvoiceRun | Kind::Post => {
            let path = match kind {
                Kind::Sync => "/api/v1/sync",
                Kind::InvoiceRun => "/api/v1/invoice-runs",
                _ => "/api/v1/documents/post",
            };
            match api.send("POST", path, Some(arg.clone()), false).await {
                Ok((s, v)) if (200..300).contains(&s) => {
                    out.posted = match kind {
                        Kind::InvoiceRun => posted_of(&v["documents"]),
                        Kind::Post => posted_of(&v),
                        _ => Vec::new(),
                    }
                }
                // A refusal (409: a run out of order, the lease busy) changes nothing.
                Ok((s, _)) if (400..500).contains(&s) => {}
                Ok(other) => panic!("{kind:?} {arg}: {other:?}"),
                Err(_) => out.interrupted = true,
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The story, per backend.

struct Report {
    /// What the checks after each restart found (each repaired before the story went on).
    issues: Vec<String>,
    kills: u32,
    inside: BTreeMap<Kind, u32>,
    between: u32,
    acked_snapshots: usize,
    posted: usize,
    elapsed: Duration,
}

async fn crash_story(label: &str, postgres: Option<&str>) -> Report {
    let started = Instant::now();
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let target_kills: u32 = std::env::var("CRASH_KILLS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let db = fresh_db(postgres, "crashed").await;
    let log = std::env::temp_dir().join(format!(
        "unitbill-tests/crash_{label}_{}.log",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&log);
    let (mut api, mut server, cs) = setup(&db, &log).await;

    let mut model: BTreeMap<Date, DayState> = BTreeMap::new();
    let apply = |model: &mut BTreeMap<Date, DayState>, s: &Snap| {
        let after = DayState::after(model.get(&s.day), s.complete, &s.values);
        model.insert(s.day, after);
    };
    let zero: Values = (0..ORGS).map(|o| ((o, 0), 0)).collect();
    let registration = Snap {
        day: W0 - 1.day(),
        complete: true,
        values: zero,
    };
    apply(&mut model, &registration);
    let mut acked_snapshots = 1;
    // First every day of the window gets a complete snapshot (so no day's units depend on
    // another day's), before any kill; then corrections, syncs, runs and postings are mixed.
    for d in days() {
        let s = Snap {
            day: d,
            complete: true,
            values: random_values(&mut rng, true),
        };
        match api.put_snapshot(s.day, s.complete, &s.values).await {
            Ok((200, _)) => apply(&mut model, &s),
            other => panic!("{label}: snapshot {d}: {other:?}"),
        }
        acked_snapshots += 1;
    }
    // January is closed before the kills start: its run syncs only through January 31, and a
    // sync through an earlier day than the last synced one loses pending recomputation on
    // today's code whether or not anything crashes (the model test, crates/engine/tests/
    // model.rs, covers that). Every later run syncs through the window's end, so what the
    // kills find is theirs alone.
    api.sync().await;
    let jan = api
        .ok(
            "POST",
            "/api/v1/invoice-runs",
            Some(json!({"period": "2027-01", "post": true})),
        )
        .await;
    let mut acked_posts: Vec<(i64, String)> = posted_of(&jan["documents"]);
    let mut issues: Vec<String> = check_units(&api, &model, &cs, "after closing January")
        .await
        .into_iter()
        .collect();
    let mut pending: Option<Snap> = None;
    let mut durations: BTreeMap<Kind, Duration> = BTreeMap::new();
    let mut report = Report {
        issues: Vec::new(),
        kills: 0,
        inside: BTreeMap::new(),
        between: 0,
        acked_snapshots: 0,
        posted: 0,
        elapsed: Duration::ZERO,
    };
    let mut life = 0;
    let mut last_kill: Option<String> = None;
    loop {
        // A snapshot whose answer was lost was stored all or nothing; the module sends it
        // again (a retry is idempotent), and that answer counts.
        if let Some(s) = pending.take() {
            let read = normalize(api.read_snapshot(s.day).await);
            let before = model.get(&s.day).map(DayState::normalized);
            let after = DayState::after(model.get(&s.day), s.complete, &s.values).normalized();
            assert!(
                read == before || read == Some(after.clone()),
                "{label}: the snapshot of {} interrupted by a kill was stored in part: read {read:?}, before {before:?}, after {after:?}",
                s.day
            );
            match api.put_snapshot(s.day, s.complete, &s.values).await {
                Ok((200, _)) => {
                    apply(&mut model, &s);
                    acked_snapshots += 1;
                }
                other => panic!("{label}: retry of {}: {other:?}", s.day),
            }
        }
        if let Some(last) = &last_kill {
            // The restarted server catches up with an ordinary sync, after which the unit
            // history is what the acknowledged snapshots say.
            api.sync().await;
            issues.extend(check_units(&api, &model, &cs, last).await);
        }
        if report.kills >= target_kills || started.elapsed() > KILL_BUDGET {
            break;
        }

        // Before a sync or a run, two corrections (not killed) leave days to recompute all
        // over the window, so a kill part way through a sync has something to lose.
        let corrections = |rng: &mut ChaCha8Rng| -> Vec<Snap> {
            (0..2)
                .map(|_| {
                    let complete = rng.random_bool(0.5);
                    Snap {
                        day: W0 + rng.random_range(0..59i64).days(),
                        complete,
                        values: random_values(rng, complete),
                    }
                })
                .collect()
        };
        // The next operation, a seeded mix: corrections (late, complete or partial), the
        // sync, the invoice run of the open period (posting it now and then), posting drafts.
        let (kind, snaps, arg) = {
            match rng.random_range(0..20) {
                0..=5 => {
                    let batch = (0..rng.random_range(3..12))
                        .map(|_| {
                            let complete = rng.random_bool(0.5);
                            let day = W0 + rng.random_range(0..59i64).days();
                            Snap {
                                day,
                                complete,
                                values: random_values(&mut rng, complete),
                            }
                        })
                        .collect();
                    (Kind::Ingest, batch, Value::Null)
                }
                6..=11 => {
                    for c in corrections(&mut rng) {
                        correct(&api, &mut model, &c).await;
                        acked_snapshots += 1;
                    }
                    // The ordinary sync, or (now and then) a recompute from the window's start.
                    let arg = if rng.random_bool(0.3) {
                        json!({"from": W0.to_string(), "through": W1.to_string()})
                    } else {
                        json!({"through": W1.to_string()})
                    };
                    (Kind::Sync, Vec::new(), arg)
                }
                12..=16 => {
                    for c in corrections(&mut rng) {
                        correct(&api, &mut model, &c).await;
                        acked_snapshots += 1;
                    }
                    let open = api.ok("GET", "/api/v1/open-period", None).await;
                    let period = open["period"].as_str().unwrap_or("2027-01").to_owned();
                    let post = rng.random_bool(0.4);
                    (
                        Kind::InvoiceRun,
                        Vec::new(),
                        json!({"period": period, "post": post}),
                    )
                }
                _ => {
                    let open = api.ok("GET", "/api/v1/open-period", None).await;
                    let period = open["period"].as_str().unwrap_or("2027-01").to_owned();
                    let drafts = || async {
                        let docs = api
                            .ok("GET", &format!("/api/v1/documents?period={period}"), None)
                            .await;
                        docs.as_array()
                            .unwrap()
                            .iter()
                            .filter(|d| d["status"] == "draft")
                            .filter_map(|d| d["id"].as_i64())
                            .collect::<Vec<i64>>()
                    };
                    let mut ids = drafts().await;
                    if ids.is_empty() && period.as_str() <= "2027-02" {
                        // Nothing to post yet: make the drafts first (not killed).
                        api.ok(
                            "POST",
                            "/api/v1/invoice-runs",
                            Some(json!({"period": period, "post": false})),
                        )
                        .await;
                        ids = drafts().await;
                    }
                    (Kind::Post, Vec::new(), json!({"ids": ids}))
                }
            }
        };

        // Run it and kill the server at a seeded moment within about its duration.
        // Most kills land inside the operation (its duration is learnt as the story goes);
        // one in six comes after it, when the server is idle.
        let typical = durations.get(&kind).copied().unwrap_or(match kind {
            Kind::Ingest => Duration::from_millis(8 * snaps.len() as u64),
            _ => Duration::from_millis(40),
        });
        // `CRASH_SPARE=Sync,InvoiceRun` (a diagnosis aid) kills those only once they finished.
        let spared = std::env::var("CRASH_SPARE")
            .unwrap_or_default()
            .split(',')
            .any(|k| k.trim() == format!("{kind:?}"));
        let after = rng.random_bool(1.0 / 6.0);
        let within = Duration::from_micros(rng.random_range(0..=typical.as_micros() as u64));
        let delay = if spared {
            Duration::ZERO
        } else if after {
            typical * 2
        } else {
            within
        };
        let task = tokio::spawn({
            let api = api.clone();
            async move {
                let t = Instant::now();
                let out = run_op(api, kind, snaps, arg).await;
                (out, t.elapsed())
            }
        });
        tokio::time::sleep(delay).await;
        while spared && !task.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let finished_before_kill = task.is_finished();
        server.kill().await;
        let (out, op_took) = task.await.expect("operation task");
        // How long this kind of operation takes, learnt as the story goes: the longest one
        // seen, or longer than a kill that still found it running.
        let took = if finished_before_kill {
            op_took
        } else {
            delay * 5 / 4
        };
        let e = durations.entry(kind).or_insert(took);
        *e = (*e).max(took);
        report.kills += 1;
        let what = format!(
            "after kill {} during {kind:?} at {delay:?} ({})",
            report.kills,
            match (&out.in_flight, out.interrupted) {
                (Some(s), _) => format!("interrupted; the snapshot of {} was in flight", s.day),
                (None, true) => "it was interrupted".to_owned(),
                (None, false) => "it had finished".to_owned(),
            }
        );
        if std::env::var("CRASH_VERBOSE").is_ok() {
            eprintln!("{label}: {what}");
        }
        last_kill = Some(what);
        if out.interrupted {
            *report.inside.entry(kind).or_default() += 1;
        } else {
            report.between += 1;
        }
        for s in &out.acked {
            apply(&mut model, s);
            acked_snapshots += 1;
        }
        pending = out.in_flight;
        acked_posts.extend(out.posted);

        life += 1;
        server = start(&db, &log).await;
        api.base = server.base.clone();
        api.set_clock(life).await;
    }

    // The end of the story: one more (incremental) sync, then the checks.
    api.sync().await;
    for d in std::iter::once(W0 - 1.day()).chain(days()) {
        let read = normalize(api.read_snapshot(d).await);
        let want = model.get(&d).map(DayState::normalized);
        assert_eq!(
            read, want,
            "{label}: the snapshot of {d} does not read back as acknowledged last"
        );
    }
    issues.extend(check_units(&api, &model, &cs, "at the end").await);
    let crashed_units = api.unit_history().await;
    let docs = api.ok("GET", "/api/v1/documents", None).await;
    let docs = docs.as_array().unwrap().clone();
    server.kill().await;

    // Numbers: each sequence gapless and without duplicates; acknowledged postings kept.
    let mut by_kind: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut invoiced: BTreeMap<(i64, String), u32> = BTreeMap::new();
    for d in docs.iter().filter(|d| d["status"] != "draft") {
        let number = d["number"]
            .as_str()
            .expect("a posted document has a number");
        let seq: u64 = number
            .trim_start_matches(|c: char| !c.is_ascii_digit())
            .parse()
            .unwrap_or_else(|_| panic!("{label}: number {number:?}"));
        by_kind
            .entry(d["kind"].as_str().unwrap().to_owned())
            .or_default()
            .push(seq);
        if d["kind"] == "invoice" {
            *invoiced
                .entry((
                    d["company_id"].as_i64().unwrap(),
                    d["period"].as_str().unwrap().to_owned(),
                ))
                .or_default() += 1;
        }
    }
    for (kind, mut seqs) in by_kind.clone() {
        seqs.sort_unstable();
        let expected: Vec<u64> = (1..=seqs.len() as u64).collect();
        assert_eq!(
            seqs, expected,
            "{label}: {kind} numbers must be 1..=n, each once"
        );
    }
    for ((company, period), n) in &invoiced {
        assert_eq!(
            *n, 1,
            "{label}: company {company} has {n} posted invoices for {period}"
        );
    }
    for (id, number) in &acked_posts {
        let doc = docs
            .iter()
            .find(|d| d["id"].as_i64() == Some(*id))
            .unwrap_or_else(|| panic!("{label}: posted document {id} ({number}) is gone"));
        assert_eq!(
            doc["number"].as_str(),
            Some(number.as_str()),
            "{label}: document {id} was acknowledged as {number}"
        );
        assert_ne!(doc["status"], "draft", "{label}: {number} is a draft again");
    }

    // The uninterrupted run: a second fresh database, the same setup, each day's
    // acknowledged snapshot once, in date order, and one sync.
    let db2 = fresh_db(postgres, "uninterrupted").await;
    let (api2, server2, cs2) = setup(&db2, &log).await;
    for (day, state) in &model {
        match api2.put_snapshot(*day, state.complete, &state.values).await {
            Ok((200, _)) => {}
            other => panic!("{label}: replay {day}: {other:?}"),
        }
    }
    api2.sync().await;
    let clean_units = api2.unit_history().await;
    server2.kill().await;
    let crashed = units_view(&crashed_units, &cs);
    let clean = units_view(&clean_units, &cs2);
    let diffs = units_diff(&crashed, &clean, "after crashes", "uninterrupted");
    assert!(
        diffs.is_empty(),
        "{label}: the unit history after {} kills differs from an uninterrupted run:\n{}",
        report.kills,
        diffs.into_iter().take(8).collect::<Vec<_>>().join("\n"),
    );
    assert!(
        !crashed.is_empty(),
        "{label}: the story produced no units at all"
    );
    report.issues = issues;

    db.remove();
    db2.remove();
    let _ = std::fs::remove_file(&log);
    report.acked_snapshots = acked_snapshots;
    report.posted = by_kind.values().map(Vec::len).sum();
    report.elapsed = started.elapsed();
    report
}

/// Prints what ran, then fails on whatever the checks after the restarts found.
fn finish(label: &str, r: &Report) {
    eprintln!(
        "crash test on {label}: {} kills ({} interrupting an operation: {:?}; {} after it finished), {} snapshots acknowledged, {} documents posted, {} problems found, {:.1}s",
        r.kills,
        r.inside.values().sum::<u32>(),
        r.inside,
        r.between,
        r.acked_snapshots,
        r.posted,
        r.issues.len(),
        r.elapsed.as_secs_f64()
    );
    assert!(
        r.issues.is_empty(),
        "{label}: {} of {} restarts left the unit history wrong:\n{}",
        r.issues.len(),
        r.kills,
        r.issues.join("\n")
    );
    assert!(r.kills >= 20, "only {} kills fit in the budget", r.kills);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_server_keeps_every_acknowledged_write_sqlite() {
    finish("sqlite", &crash_story("sqlite", None).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_server_keeps_every_acknowledged_write_postgres() {
    match std::env::var("UNITBILL_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            finish("postgres", &crash_story("postgres", Some(&url)).await);
        }
        _ => {
            if std::env::var("UNITBILL_REQUIRE_ALL_TESTS").as_deref() == Ok("1") {
                panic!("UNITBILL_REQUIRE_ALL_TESTS=1 but UNITBILL_TEST_DATABASE_URL is not set");
            }
            eprintln!(
                "note: UNITBILL_TEST_DATABASE_URL is not set; the PostgreSQL crash test is skipped"
            );
        }
    }
}
