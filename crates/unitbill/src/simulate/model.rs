//! The simulated MSP: its clients, what each module calls them, and their daily counts. Pure:
//! a [`World`] is a function of its [`SimConfig`], and a day's snapshot a function of the world
//! and the date. Nothing here does I/O.
//!
//! Stability: client names, org ids and org names depend only on the seed and the client's
//! index (and a module's code), so the first 40 clients of 200 are the 40 clients of 40, and
//! a run with another window reports the same orgs. Daily counts and dated events (a client
//! leaving, one joining, a missed day, a late correction) are placed relative to the *anchor*,
//! the first day of the month the day after the window falls in, mostly in the month before
//! it (the month the next invoice run closes), and moved inside the window when they would
//! fall outside it: running again in the same month sends the same history.

use std::collections::{BTreeMap, BTreeSet};

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::names::{self, AFFILIATE_INDEX, Vertical};

/// Every module the simulator knows, in catalog order.
pub const ALL_MODULES: &[&str] = &[
    "audit-suite",
    "compliance-manager",
    "cyber-hawk",
    "network-detective",
    "vulscan",
    "security-suite",
    "darkweb-id",
    "datto-edr",
    "graphus",
    "passly",
    "rocketcyber",
    "unified-rmm",
    "datto-rmm",
    "vsa-10",
    "backup-dr",
    "datto-file-protection",
    "datto-workplace",
];

/// Modules whose orgs are sites: a client with several sites has one org per site there, the
/// first the parent of the others.
const RMM_LIKE: &[&str] = &["datto-rmm", "unified-rmm", "vsa-10"];

/// What one simulation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    pub seed: u64,
    pub clients: usize,
    /// Module codes (from [`ALL_MODULES`]); others are refused by [`World::new`].
    pub modules: Vec<String>,
    pub from: Date,
    pub to: Date,
}

/// How a count moves from day to day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Workstations and laptops: they follow headcount and dip at weekends (powered off).
    Workstation,
    /// Servers, printers, network devices: follow headcount, change now and then.
    Device,
    /// Users, mailboxes, seats.
    User,
    /// Gigabytes: grow slowly every day.
    Storage,
    /// Set up once: domains, appliances, assessments.
    Fixed,
}

/// A billing type's value for one client before site shares, growth and noise.
#[derive(Debug, Clone, PartialEq)]
enum Base {
    Count(Kind, f64),
    Flag(bool),
    /// The sum of other count types of the module (total devices).
    Sum(&'static [&'static str]),
}

/// A quantity as sent: a JSON integer or boolean.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Qty {
    Count(i64),
    Flag(bool),
}

/// One client of the MSP.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Client {
    pub index: usize,
    /// The name in the MSP's client list: the company name.
    pub name: String,
    pub vertical: Vertical,
    pub employees: u32,
    /// Site labels; the first is the main site.
    pub sites: Vec<String>,
    /// The modules it uses (those of the simulation).
    pub modules: Vec<String>,
    /// Change of headcount over 90 days (0.1 = +10%).
    pub growth: f64,
    /// Another business of the same owner, whose invoice carries this one's lines.
    pub bill_to: Option<usize>,
    /// The first day its orgs report (a client that joins mid-window).
    pub joins: Option<Date>,
    /// The first day its orgs no longer report (a client that leaves).
    pub leaves: Option<Date>,
    #[serde(skip)]
    usage: BTreeMap<String, Vec<(&'static str, Base)>>,
}

impl Client {
    /// The billing types this client has units of in a module (counts above 0, flags on).
    pub fn uses(&self, module: &str) -> Vec<&'static str> {
        self.usage
            .get(module)
            .map(|types| {
                types
                    .iter()
                    .filter(|(_, b)| match b {
                        Base::Count(_, v) => *v >= 0.5,
                        Base::Flag(on) => *on,
                        Base::Sum(_) => true,
                    })
                    .map(|(t, _)| *t)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A module organization as the module reports it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Org {
    pub module: String,
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// The client it belongs to; `None` for the MSP's own (internal, lab) orgs.
    pub client: Option<usize>,
    pub site: usize,
    share: f64,
    /// Reports from this day on (a site opened or a client joined mid-window).
    pub from: Option<Date>,
    /// Reports until the day before this one (a client left).
    pub until: Option<Date>,
}

/// A past day sent again with one value changed, after a later day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub module: String,
    pub date: Date,
    /// Sent right after this day's snapshot.
    pub sent_after: Date,
    pub org_id: String,
    pub billing_type: String,
    /// The whole day again (`true`) or only the changed value (`false`).
    pub complete: bool,
}

/// One organization in a snapshot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgUsage {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    pub usage: BTreeMap<String, Qty>,
}

/// A snapshot body as the ingestion API takes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub complete: bool,
    pub organizations: Vec<OrgUsage>,
}

/// What to send for a (module, day): the day's snapshot, and maybe a late correction after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub module: String,
    pub date: Date,
    pub snapshot: Snapshot,
    pub correction: bool,
}

/// The simulated MSP over a window of days.
#[derive(Debug, Clone)]
pub struct World {
    pub config: SimConfig,
    /// First day of the month of the day after `to`: events and trends are placed relative to
    /// it, most events in the month before it.
    pub anchor: Date,
    pub clients: Vec<Client>,
    /// Per module, its orgs.
    pub orgs: BTreeMap<String, Vec<Org>>,
    /// Per module, the day it sends nothing.
    pub missed: BTreeMap<String, Date>,
    pub corrections: Vec<Correction>,
}

/// A stable 64-bit hash of numbers and strings (FNV-1a, then a SplitMix finalizer).
fn mix(seed: u64, parts: &[&dyn HashPart]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

trait HashPart {
    fn bytes(&self) -> Vec<u8>;
}
impl HashPart for u64 {
    fn bytes(&self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl HashPart for usize {
    fn bytes(&self) -> Vec<u8> {
        (*self as u64).to_le_bytes().to_vec()
    }
}
impl HashPart for i64 {
    fn bytes(&self) -> Vec<u8> {
        self.to_le_bytes().to_vec()
    }
}
impl HashPart for str {
    fn bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl HashPart for &str {
    fn bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl HashPart for String {
    fn bytes(&self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}

fn rng(seed: u64, parts: &[&dyn HashPart]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(seed, parts))
}

/// A uniform number in [0, 1) from a hash.
fn unit(h: u64) -> f64 {
    (h >> 11) as f64 / (1u64 << 53) as f64
}

const EPOCH: Date = Date::constant(2000, 1, 1);

fn day_number(d: Date) -> i64 {
    i64::from((d - EPOCH).get_days())
}

fn days_between(a: Date, b: Date) -> i64 {
    day_number(b) - day_number(a)
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(n.days()).expect("dates in range")
}

fn add_months(d: Date, n: i64) -> Date {
    d.checked_add(n.months()).expect("dates in range")
}

/// Whether a client of this line of business and size uses a module, before the fix-ups that
/// give every module a couple of clients.
fn module_probability(module: &str, v: Vertical, employees: u32) -> f64 {
    let regulated = matches!(
        v,
        Vertical::Dental
            | Vertical::Medical
            | Vertical::Law
            | Vertical::Accounting
            | Vertical::Financial
            | Vertical::Insurance
    );
    let big = employees >= 60;
    match module {
        "backup-dr" => {
            if regulated || v == Vertical::Manufacturing {
                0.75
            } else {
                0.45
            }
        }
        "datto-file-protection" => 0.25,
        "datto-workplace" => 0.2,
        "datto-edr" => 0.45,
        "rocketcyber" => {
            if big {
                0.5
            } else {
                0.3
            }
        }
        "security-suite" => 0.3,
        "graphus" => 0.45,
        "passly" => 0.3,
        "darkweb-id" => 0.4,
        "cyber-hawk" => 0.2,
        "network-detective" => 0.2,
        "vulscan" => {
            if regulated {
                0.45
            } else {
                0.2
            }
        }
        "audit-suite" => 0.15,
        "compliance-manager" => {
            if regulated {
                0.5
            } else {
                0.1
            }
        }
        _ => 0.0,
    }
}

/// The base values of a client's billing types in a module.
fn module_usage(
    rng: &mut ChaCha8Rng,
    module: &str,
    e: f64,
    w: f64,
    s: f64,
    n: f64,
    sites: usize,
) -> Vec<(&'static str, Base)> {
    use Base::{Count, Flag, Sum};
    use Kind::*;
    fn chance(rng: &mut ChaCha8Rng, p: f64, v: f64) -> f64 {
        if rng.random_bool(p) { v } else { 0.0 }
    }
    let gb = |v: f64| v.clamp(100.0, 20_000.0);
    match module {
        "datto-rmm" => {
            let desktop_share = rng.random_range(0.3..0.75);
            let printers = chance(rng, 0.5, 1.0 + e / 18.0);
            let unknown = chance(rng, 0.4, 1.0 + (e / 60.0).min(2.0));
            let esxi = if s >= 3.0 {
                1.0 + chance(rng, 0.4, 1.0)
            } else {
                0.0
            };
            let aps = chance(rng, 0.3, 2.0 + (e / 20.0).min(8.0));
            let power = chance(rng, 0.15, 1.0);
            let switch = chance(rng, 0.2, 1.0 + (e / 80.0).min(3.0));
            let continuity = chance(rng, 0.2, 1.0);
            let edr = rng.random_bool(0.4);
            vec![
                ("desktop", Count(Workstation, w * desktop_share)),
                ("laptop", Count(Workstation, w * (1.0 - desktop_share))),
                ("server", Count(Device, s)),
                ("printer", Count(Device, printers)),
                ("unknown", Count(Fixed, unknown)),
                ("esxi_host", Count(Fixed, esxi)),
                ("network_device", Count(Device, n)),
                ("datto_access_point", Count(Fixed, aps)),
                ("datto_managed_power", Count(Fixed, power)),
                ("datto_switch", Count(Fixed, switch)),
                ("datto_continuity", Count(Fixed, continuity)),
                ("edr_enabled", Flag(edr)),
                ("desktop_laptop", Sum(&["desktop", "laptop"])),
                (
                    "total_devices",
                    Sum(&[
                        "desktop",
                        "laptop",
                        "server",
                        "printer",
                        "unknown",
                        "esxi_host",
                        "network_device",
                        "datto_access_point",
                        "datto_managed_power",
                        "datto_switch",
                        "datto_continuity",
                    ]),
                ),
            ]
        }
        "unified-rmm" => vec![
            ("workstations", Count(Workstation, w)),
            ("servers", Count(Device, s)),
            ("network_devices", Count(Device, chance(rng, 0.6, n))),
        ],
        "vsa-10" => vec![
            ("workstations", Count(Workstation, w)),
            ("servers", Count(Device, s)),
            ("mobile_devices", Count(Device, chance(rng, 0.5, e * 0.3))),
        ],
        "backup-dr" => {
            let protected = s + 1.0 + rng.random_range(0.0..2.0);
            vec![
                ("protected_devices", Count(Device, protected)),
                ("agents", Count(Device, protected + w * 0.1)),
                (
                    "offsite_storage_gb",
                    Count(Storage, gb(150.0 * (s + 1.0) + e * 25.0)),
                ),
                ("saas_seats", Count(User, chance(rng, 0.6, e))),
            ]
        }
        "datto-file-protection" => vec![
            ("protected_devices", Count(Device, w * 0.6)),
            ("storage_gb", Count(Storage, gb(40.0 * w * 0.6))),
        ],
        "datto-workplace" => vec![
            ("users", Count(User, e * 0.9)),
            ("desktop", Count(Device, w * 0.3)),
            ("laptop", Count(Device, w * 0.3)),
            ("server", Count(Fixed, chance(rng, 0.3, 1.0))),
            ("storage_gb", Count(Storage, gb(e * 25.0))),
        ],
        "datto-edr" => vec![
            ("workstations", Count(Workstation, w)),
            ("servers", Count(Device, s)),
            ("mdr_enabled", Flag(rng.random_bool(0.5))),
        ],
        "rocketcyber" => vec![
            ("endpoints", Count(Workstation, w + s)),
            ("m365_users", Count(User, e)),
            ("soc_enabled", Flag(rng.random_bool(0.85))),
        ],
        "security-suite" => vec![
            ("users", Count(User, e)),
            ("devices", Count(Workstation, w)),
        ],
        "graphus" => vec![("protected_mailboxes", Count(User, e * 1.15))],
        "passly" => vec![
            ("users", Count(User, e)),
            ("sso_enabled", Flag(rng.random_bool(0.6))),
        ],
        "darkweb-id" => vec![
            ("domains", Count(Fixed, 1.0 + rng.random_range(0.0..2.5))),
            (
                "live_searches",
                Count(Fixed, chance(rng, 0.4, 1.0) * (1.0 + chance(rng, 0.5, 1.0))),
            ),
            (
                "personal_email_monitoring",
                Count(User, chance(rng, 0.3, e / 5.0)),
            ),
            (
                "supply_chain_monitoring",
                Count(
                    Fixed,
                    chance(rng, 0.25, 1.0) * (1.0 + chance(rng, 0.5, 2.0)),
                ),
            ),
            ("ida_setup", Flag(rng.random_bool(0.7))),
        ],
        "cyber-hawk" => vec![("is_enabled", Flag(true))],
        "network-detective" => vec![
            ("assessments", Count(Fixed, 1.0 + chance(rng, 0.4, 1.0))),
            ("scanned_ips", Count(Device, (w + s + n) * 1.3)),
            ("is_enabled", Flag(true)),
        ],
        "vulscan" => vec![
            ("scanned_ips", Count(Device, (w + s + n) * 1.2)),
            ("scanned_users", Count(User, e)),
            ("appliances", Count(Fixed, sites as f64)),
        ],
        "audit-suite" => vec![
            (
                "assessments",
                Count(Fixed, 1.0 + rng.random_range(0.0..3.4)),
            ),
            ("scanned_devices", Count(Device, w + s)),
            ("is_enabled", Flag(true)),
        ],
        "compliance-manager" => vec![
            ("devices", Count(Device, w + s)),
            ("users", Count(User, e)),
            ("is_enabled", Flag(true)),
        ],
        _ => Vec::new(),
    }
}

/// A module-style org id: RMMs use UUIDs or dotted groups, others numbers or prefixed keys.
fn org_id(seed: u64, module: &str, client: usize, site: usize, slug: &str) -> String {
    let h = mix(seed, &[&"org-id", &module, &client, &site]);
    match module {
        "datto-rmm" | "datto-edr" | "datto-workplace" | "datto-file-protection" => {
            let g = mix(h, &[&1u64]);
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                h >> 32,
                h & 0xffff,
                (h >> 16) & 0xfff,
                g & 0xfff,
                g >> 16
            )
        }
        "vsa-10" => {
            if site == 0 {
                format!("{slug}.root")
            } else {
                format!("{slug}.site{site}")
            }
        }
        "passly" => format!("tnt_{:010x}", h >> 24),
        "graphus" => format!("cust_{}", 4000 + client * 13 + site),
        _ => format!("{}", 100_000 + client * 100 + site * 7 + (h % 7) as usize),
    }
}

fn slug(name: &str) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
    }
    s.trim_end_matches('-').to_owned()
}

impl World {
    /// Builds the world. Refuses an unknown module, an empty window or no clients.
    pub fn new(config: SimConfig) -> Result<World, String> {
        if config.clients == 0 {
            return Err("at least one client is needed".into());
        }
        if config.from > config.to {
            return Err(format!(
                "the window {}..{} is empty: --from is after --to",
                config.from, config.to
            ));
        }
        for m in &config.modules {
            if !ALL_MODULES.contains(&m.as_str()) {
                return Err(format!(
                    "the simulator does not know module {m:?}; it knows {}",
                    ALL_MODULES.join(", ")
                ));
            }
        }
        let seed = config.seed;
        let anchor = add_days(config.to, 1).first_of_month();
        let names = names::client_names(&mut rng(seed, &[&"clients"]), config.clients);
        let mut clients: Vec<Client> = Vec::new();
        let owner = |i: usize| {
            (i == AFFILIATE_INDEX).then(|| {
                let surname = names[i].surname.clone();
                names.iter().position(|c| c.surname == surname)
            })
        };
        for (i, cn) in names.iter().enumerate() {
            let mut r = rng(seed, &[&"client", &i]);
            let (lo, hi) = cn.vertical.headcount();
            let e = (f64::from(lo).ln() + r.random::<f64>() * (f64::from(hi) / f64::from(lo)).ln())
                .exp()
                .round()
                .max(3.0);
            let w = (e * r.random_range(0.8..1.25)).round().max(2.0);
            let s = if e < 15.0 && r.random_bool(0.5) {
                0.0
            } else {
                (e / 22.0 + r.random_range(0.0..1.8)).round().max(1.0)
            };
            let n = 2.0 + (e / 14.0).round();
            let site_count = if e >= 20.0 {
                match r.random_range(0..100) {
                    0..75 => 1,
                    75..92 => 2,
                    _ => 3,
                }
            } else {
                1
            };
            let mut sites = vec!["Main".to_owned()];
            while sites.len() < site_count {
                let l = names::site_labels(cn.vertical)
                    .choose(&mut r)
                    .expect("labels")
                    .to_string();
                if !sites.contains(&l) {
                    sites.push(l);
                }
            }
            let growth = if r.random_bool(0.25) {
                0.0
            } else {
                r.random_range(-0.06..0.14)
            };
            let mut all_modules: BTreeSet<&str> = BTreeSet::new();
            if r.random_bool(0.95) {
                let x: f64 = r.random();
                all_modules.insert(if x < 0.5 {
                    "datto-rmm"
                } else if x < 0.75 {
                    "unified-rmm"
                } else {
                    "vsa-10"
                });
            }
            for m in ALL_MODULES {
                let p = module_probability(m, cn.vertical, e as u32);
                if p > 0.0 && r.random_bool(p) {
                    all_modules.insert(m);
                }
            }
            if all_modules.is_empty() {
                all_modules.insert("graphus");
            }
            let mut usage = BTreeMap::new();
            for m in ALL_MODULES {
                let mut mr = rng(seed, &[&"usage", &i, m]);
                usage.insert(
                    (*m).to_owned(),
                    module_usage(&mut mr, m, e, w, s, n, sites.len()),
                );
            }
            clients.push(Client {
                index: i,
                name: cn.name.clone(),
                vertical: cn.vertical,
                employees: e as u32,
                sites,
                modules: all_modules.iter().map(|m| (*m).to_owned()).collect(),
                growth,
                bill_to: owner(i).flatten().filter(|o| *o != i),
                joins: None,
                leaves: None,
                usage,
            });
        }
        // Every module gets a couple of clients, whatever the draw (independent of the selection).
        let mut fix = rng(seed, &[&"fixups", &config.clients]);
        let want = 2.min(clients.len());
        for m in ALL_MODULES {
            let mut have = clients
                .iter()
                .filter(|c| c.modules.iter().any(|x| x == m))
                .count();
            let mut tries = 0;
            while have < want && tries < 1000 {
                tries += 1;
                let i = fix.random_range(0..clients.len());
                let has_rmm = clients[i]
                    .modules
                    .iter()
                    .any(|x| RMM_LIKE.contains(&x.as_str()));
                if clients[i].modules.iter().any(|x| x == m)
                    || (RMM_LIKE.contains(m) && has_rmm && tries < 500)
                {
                    continue;
                }
                clients[i].modules.push((*m).to_owned());
                clients[i].modules.sort();
                have += 1;
            }
        }
        let selected: BTreeSet<&str> = config.modules.iter().map(String::as_str).collect();
        for c in &mut clients {
            c.modules.retain(|m| selected.contains(m.as_str()));
        }

        let mut world = World {
            anchor,
            clients,
            orgs: BTreeMap::new(),
            missed: BTreeMap::new(),
            corrections: Vec::new(),
            config,
        };
        world.place_events();
        world.build_orgs();
        world.place_module_events();
        Ok(world)
    }

    /// `d` if it is inside the window (after its first day), else a day in its middle.
    fn within(&self, d: Date) -> Date {
        if d > self.config.from && d <= self.config.to {
            d
        } else {
            let span = days_between(self.config.from, self.config.to);
            add_days(self.config.from, span / 2)
        }
    }

    /// A client leaves, another joins (mid-month, last month when the window allows).
    fn place_events(&mut self) {
        let n = self.clients.len();
        if n < 4 {
            return;
        }
        let last_month = add_months(self.anchor, -1);
        let mut r = rng(self.config.seed, &[&"events", &n]);
        let protected = |i: usize, c: &[Client]| {
            i == 0 || c[i].bill_to.is_some() || c.iter().any(|x| x.bill_to == Some(i))
        };
        let mut pick = |avoid: Option<usize>, clients: &[Client]| -> Option<usize> {
            (0..200).find_map(|_| {
                let i = r.random_range(1..n);
                (!protected(i, clients) && Some(i) != avoid && !clients[i].modules.is_empty())
                    .then_some(i)
            })
        };
        let leaver = pick(None, &self.clients);
        let joiner = pick(leaver, &self.clients);
        if let Some(i) = leaver {
            self.clients[i].leaves = Some(self.within(add_days(last_month, 11)));
        }
        if let Some(i) = joiner {
            self.clients[i].joins = Some(self.within(add_days(last_month, 15)));
        }
    }

    fn build_orgs(&mut self) {
        let seed = self.config.seed;
        let mut orgs: BTreeMap<String, Vec<Org>> = BTreeMap::new();
        let new_site = self
            .clients
            .iter()
            .find(|c| c.sites.len() > 1 && c.joins.is_none() && c.leaves.is_none())
            .map(|c| c.index);
        let new_site_day = self.within(add_days(add_months(self.anchor, -2), 8));
        for c in &self.clients {
            let slug = slug(&c.name);
            for m in &c.modules {
                let mut r = rng(seed, &[&"name", &c.index, &m.as_str()]);
                let base = names::module_variant(&mut r, &c.name, c.vertical);
                let multi = RMM_LIKE.contains(&m.as_str()) && c.sites.len() > 1;
                let site_count = if multi { c.sites.len() } else { 1 };
                let shares: &[f64] = match site_count {
                    1 => &[1.0],
                    2 => &[0.65, 0.35],
                    _ => &[0.55, 0.28, 0.17],
                };
                let parent = org_id(seed, m, c.index, 0, &slug);
                for (site, &share) in shares.iter().enumerate() {
                    let name = if multi || (RMM_LIKE.contains(&m.as_str()) && r.random_bool(0.2)) {
                        names::site_name(&mut r, &base, site, &c.sites[site])
                    } else {
                        base.clone()
                    };
                    let opens = (Some(c.index) == new_site && site == site_count - 1 && site > 0)
                        .then_some(new_site_day);
                    orgs.entry(m.clone()).or_default().push(Org {
                        module: m.clone(),
                        id: org_id(seed, m, c.index, site, &slug),
                        name,
                        parent_id: (site > 0).then(|| parent.clone()),
                        client: Some(c.index),
                        site,
                        share,
                        from: c.joins.max(opens),
                        until: c.leaves,
                    });
                }
            }
        }
        // The MSP's own orgs: a lab and an internal site, which no client pays for.
        for (m, name) in [
            ("datto-rmm", "Internal - Lab & Test Bench"),
            ("unified-rmm", "MSP Internal IT"),
            ("vsa-10", "Staging (do not bill)"),
        ] {
            if let Some(list) = orgs.get_mut(m) {
                list.push(Org {
                    module: m.to_owned(),
                    id: org_id(seed, m, 9_999, 0, "internal"),
                    name: name.to_owned(),
                    parent_id: None,
                    client: None,
                    site: 0,
                    share: 1.0,
                    from: None,
                    until: None,
                });
            }
        }
        self.orgs = orgs;
    }

    /// One missed day per module, and two late corrections.
    fn place_module_events(&mut self) {
        let seed = self.config.seed;
        let last_month = add_months(self.anchor, -1);
        let correction_day = self.within(add_days(add_months(self.anchor, -1), 19));
        let mut by_size: Vec<(&String, usize)> =
            self.orgs.iter().map(|(m, o)| (m, o.len())).collect();
        by_size.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let mut corrections = Vec::new();
        for (rank, (module, _)) in by_size.iter().take(2).enumerate() {
            let orgs = &self.orgs[*module];
            let candidates: Vec<&Org> = orgs
                .iter()
                .filter(|o| o.client.is_some() && self.reports(o, correction_day))
                .collect();
            let Some(org) = candidates.get(
                mix(seed, &[&"correction", &module.as_str()]) as usize % candidates.len().max(1),
            ) else {
                continue;
            };
            let client = &self.clients[org.client.expect("a client's org")];
            let Some(bt) = client.usage[module.as_str()].iter().find_map(|(t, b)| {
                matches!(b, Base::Count(Kind::Workstation | Kind::Device | Kind::User, v) if *v >= 1.0)
                    .then_some(*t)
            }) else {
                continue;
            };
            corrections.push(Correction {
                module: (*module).clone(),
                date: correction_day,
                sent_after: add_days(correction_day, 4).min(self.config.to),
                org_id: org.id.clone(),
                billing_type: bt.to_owned(),
                complete: rank == 0,
            });
        }
        let mut missed = BTreeMap::new();
        for m in self.orgs.keys() {
            let h = mix(seed, &[&"missed", &m.as_str(), &day_number(self.anchor)]);
            let mut d = self.within(add_days(last_month, 1 + (h % 27) as i64));
            if d == correction_day {
                d = self.within(add_days(d, 1));
            }
            if d > self.config.from && d != correction_day {
                missed.insert(m.clone(), d);
            }
        }
        self.missed = missed;
        self.corrections = corrections;
    }

    /// The modules of the simulation that have orgs.
    pub fn modules(&self) -> impl Iterator<Item = &str> {
        self.orgs.keys().map(String::as_str)
    }

    /// The days of the window, in order.
    pub fn days(&self) -> Vec<Date> {
        let mut out = Vec::new();
        let mut d = self.config.from;
        while d <= self.config.to {
            out.push(d);
            d = add_days(d, 1);
        }
        out
    }

    /// Which client an org belongs to, by (module, org id): the ground truth of mapping.
    pub fn truth(&self) -> BTreeMap<(String, String), Option<&Client>> {
        self.orgs
            .values()
            .flatten()
            .map(|o| {
                (
                    (o.module.clone(), o.id.clone()),
                    o.client.map(|c| &self.clients[c]),
                )
            })
            .collect()
    }

    fn reports(&self, org: &Org, day: Date) -> bool {
        org.from.is_none_or(|f| day >= f) && org.until.is_none_or(|u| day < u)
    }

    /// The values of one org on one day, with or without the late correction of that day.
    fn org_usage(&self, org: &Org, day: Date, corrected: bool) -> BTreeMap<String, Qty> {
        let mut out = BTreeMap::new();
        let Some(ci) = org.client else {
            // Internal orgs: a handful of lab machines.
            let h = mix(self.config.seed, &[&"lab", &org.id, &(day_number(day) / 7)]);
            out.insert(
                if org.module == "datto-rmm" {
                    "desktop".to_owned()
                } else {
                    "workstations".to_owned()
                },
                Qty::Count(3 + (h % 4) as i64),
            );
            return out;
        };
        let client = &self.clients[ci];
        let t = days_between(self.anchor, day) as f64 / 90.0;
        let growth = (1.0 + client.growth * t).max(0.5);
        let weekend = matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
        let types = &client.usage[org.module.as_str()];
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for (bt, base) in types {
            let key = |salt: &str| -> u64 {
                mix(
                    self.config.seed,
                    &[&salt, &org.module.as_str(), &org.id, bt],
                )
            };
            match base {
                Base::Flag(on) => {
                    out.insert((*bt).to_owned(), Qty::Flag(*on));
                }
                Base::Sum(_) => {}
                Base::Count(kind, v) => {
                    let v = if org.site > 0 && *kind == Kind::Fixed {
                        0.0
                    } else if *kind == Kind::Fixed {
                        *v
                    } else {
                        v * org.share
                    };
                    if v < 0.5 {
                        continue;
                    }
                    let phase = (key("phase") % 7) as i64;
                    let week = (day_number(day) + phase).div_euclid(7);
                    let step = mix(key("step"), &[&week]);
                    let mut q = match kind {
                        Kind::Fixed => v,
                        Kind::Storage => {
                            let daily = unit(mix(key("daily"), &[&day_number(day)])) - 0.5;
                            v * (1.0 + 0.0012 * days_between(self.anchor, day) as f64)
                                * (1.0 + 0.01 * daily)
                        }
                        Kind::Workstation | Kind::Device | Kind::User => {
                            let jitter = ((v * 0.03).round()).max(1.0);
                            let noisy = match kind {
                                Kind::Device => unit(step) < 0.35,
                                _ => true,
                            };
                            let delta = if noisy {
                                match step % 5 {
                                    0 => -jitter,
                                    4 => jitter,
                                    _ => 0.0,
                                }
                            } else {
                                0.0
                            };
                            let mut q = v * growth + delta;
                            if *kind == Kind::Workstation && weekend {
                                q *= 0.86;
                            }
                            q.max(1.0)
                        }
                    }
                    .round() as i64;
                    if corrected
                        && self.corrections.iter().any(|c| {
                            c.date == day
                                && c.module == org.module
                                && c.org_id == org.id
                                && c.billing_type == *bt
                        })
                    {
                        q += (q / 10).max(2);
                    }
                    counts.insert(bt, q);
                    out.insert((*bt).to_owned(), Qty::Count(q));
                }
            }
        }
        for (bt, base) in types {
            if let Base::Sum(parts) = base {
                let total: i64 = parts.iter().filter_map(|p| counts.get(p)).sum();
                if total > 0 {
                    out.insert((*bt).to_owned(), Qty::Count(total));
                }
            }
        }
        out
    }

    fn full_snapshot(&self, module: &str, day: Date, corrected: bool) -> Snapshot {
        let organizations = self
            .orgs
            .get(module)
            .into_iter()
            .flatten()
            .filter(|o| self.reports(o, day))
            .map(|o| OrgUsage {
                id: o.id.clone(),
                name: o.name.clone(),
                parent_id: o.parent_id.clone(),
                usage: self.org_usage(o, day, corrected),
            })
            .collect();
        Snapshot {
            complete: true,
            organizations,
        }
    }

    /// The day's snapshot as first sent; `None` on the module's missed day.
    pub fn snapshot(&self, module: &str, day: Date) -> Option<Snapshot> {
        if self.missed.get(module) == Some(&day) || !self.orgs.contains_key(module) {
            return None;
        }
        Some(self.full_snapshot(module, day, false))
    }

    /// The day as it finally stands, after any late correction (what the module knows now).
    pub fn final_snapshot(&self, module: &str, day: Date) -> Option<Snapshot> {
        self.snapshot(module, day)?;
        Some(self.full_snapshot(module, day, true))
    }

    /// What to send after the module's day `day`, in order: its snapshot, then any correction
    /// of an earlier day that is due now.
    pub fn pushes(&self, module: &str, day: Date) -> Vec<Push> {
        let mut out = Vec::new();
        if let Some(s) = self.snapshot(module, day) {
            out.push(Push {
                module: module.to_owned(),
                date: day,
                snapshot: s,
                correction: false,
            });
        }
        for c in self
            .corrections
            .iter()
            .filter(|c| c.module == module && c.sent_after == day)
        {
            let full = self.full_snapshot(module, c.date, true);
            let snapshot = if c.complete {
                full
            } else {
                let org = full
                    .organizations
                    .into_iter()
                    .find(|o| o.id == c.org_id)
                    .expect("the corrected org reports that day");
                Snapshot {
                    complete: false,
                    organizations: vec![OrgUsage {
                        usage: org
                            .usage
                            .into_iter()
                            .filter(|(k, _)| *k == c.billing_type)
                            .collect(),
                        ..org
                    }],
                }
            };
            out.push(Push {
                module: module.to_owned(),
                date: c.date,
                snapshot,
                correction: true,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unitbill_domain::catalog::{Catalog, UnitOfMeasure};

    fn config(seed: u64, clients: usize) -> SimConfig {
        SimConfig {
            seed,
            clients,
            modules: ALL_MODULES.iter().map(|m| (*m).to_owned()).collect(),
            from: Date::constant(2026, 1, 3),
            to: Date::constant(2026, 4, 2),
        }
    }

    fn all_pushes(w: &World) -> Vec<Push> {
        let mut out = Vec::new();
        for m in w.modules() {
            for d in w.days() {
                out.extend(w.pushes(m, d));
            }
        }
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_snapshots() {
        let a = World::new(config(42, 40)).unwrap();
        let b = World::new(config(42, 40)).unwrap();
        assert_eq!(all_pushes(&a), all_pushes(&b));
        let c = World::new(config(43, 40)).unwrap();
        assert_ne!(all_pushes(&a), all_pushes(&c));
    }

    #[test]
    fn orgs_do_not_depend_on_the_window_or_the_client_count() {
        let a = World::new(config(5, 40)).unwrap();
        let mut shifted = config(5, 60);
        shifted.from = Date::constant(2026, 2, 10);
        let b = World::new(shifted).unwrap();
        for (m, orgs) in &a.orgs {
            for o in orgs.iter().filter(|o| o.client.is_some()) {
                let same = b.orgs[m].iter().find(|x| x.id == o.id).expect("same org");
                assert_eq!(same.name, o.name);
            }
        }
    }

    #[test]
    fn every_value_fits_the_catalog() {
        let catalog = Catalog::built_in();
        let w = World::new(config(9, 120)).unwrap();
        assert_eq!(w.modules().count(), 17, "every module has clients");
        for p in all_pushes(&w) {
            let module = catalog.get(&p.module).expect("a catalog module");
            let mut ids = BTreeSet::new();
            for o in &p.snapshot.organizations {
                assert!(ids.insert(o.id.clone()), "org id twice in {}", p.module);
                for (bt, q) in &o.usage {
                    let t = module
                        .billing_type(bt)
                        .unwrap_or_else(|| panic!("{}/{bt}", p.module));
                    match (t.unit, q) {
                        (UnitOfMeasure::Count, Qty::Count(n)) => {
                            assert!((0..=1_000_000_000).contains(n))
                        }
                        (UnitOfMeasure::Flag, Qty::Flag(_)) => {}
                        _ => panic!("{}/{bt} has the wrong kind of value", p.module),
                    }
                }
            }
        }
    }

    #[test]
    fn names_vary_across_modules_but_mostly_keep_the_client() {
        let w = World::new(config(11, 60)).unwrap();
        let mut differ = 0;
        let mut total = 0;
        let mut sub_orgs = 0;
        for o in w.orgs.values().flatten() {
            let Some(c) = o.client else { continue };
            total += 1;
            if o.name != w.clients[c].name {
                differ += 1;
            }
            if o.parent_id.is_some() {
                sub_orgs += 1;
            }
        }
        assert!(differ * 3 > total, "{differ} of {total} names vary");
        assert!(differ < total, "some names are exact");
        assert!(sub_orgs > 0, "some clients have several sites");
        let norm = |s: &str| unitbill_domain::matching::normalize_name(s);
        let same_core = w
            .orgs
            .values()
            .flatten()
            .filter(|o| {
                o.client
                    .is_some_and(|c| norm(&o.name) == norm(&w.clients[c].name))
            })
            .count();
        assert!(
            same_core * 2 > total,
            "most names normalize to the client's"
        );
    }

    #[test]
    fn the_window_has_its_events() {
        let w = World::new(config(3, 40)).unwrap();
        assert!(w.clients.iter().any(|c| c.leaves.is_some()));
        let joiner = w
            .clients
            .iter()
            .find(|c| c.joins.is_some())
            .expect("a joiner");
        let joins = joiner.joins.unwrap();
        assert!(joins > w.config.from && joins <= w.config.to);
        assert_eq!(w.missed.len(), 17, "one missed day per module");
        for (m, d) in &w.missed {
            assert!(w.snapshot(m, *d).is_none());
            assert!(w.snapshot(m, add_days(*d, -1)).is_some() || add_days(*d, -1) < w.config.from);
        }
        assert_eq!(w.corrections.len(), 2);
        let pushes = all_pushes(&w);
        let partial: Vec<_> = pushes.iter().filter(|p| !p.snapshot.complete).collect();
        assert_eq!(partial.len(), 1, "one partial correction");
        let complete_fix = pushes
            .iter()
            .find(|p| p.correction && p.snapshot.complete)
            .expect("a complete re-send");
        let original = w.snapshot(&complete_fix.module, complete_fix.date).unwrap();
        assert_ne!(
            original, complete_fix.snapshot,
            "the correction changes a value"
        );
        // A joining client's orgs are absent before it joins and present after.
        let before = add_days(joins, -1);
        for m in &joiner.modules {
            let ids: Vec<_> = w.orgs[m]
                .iter()
                .filter(|o| o.client == Some(joiner.index))
                .map(|o| o.id.clone())
                .collect();
            let has = |d: Date| {
                w.final_snapshot(m, d)
                    .is_none_or(|s| s.organizations.iter().any(|o| ids.contains(&o.id)))
            };
            assert!(has(joins) || w.missed.get(m) == Some(&joins));
            if before >= w.config.from && w.missed.get(m) != Some(&before) {
                assert!(!has(before));
            }
        }
        // Weekends dip.
        let rmm = w
            .clients
            .iter()
            .find(|c| c.uses("datto-rmm").contains(&"laptop"));
        if let Some(c) = rmm {
            let org = w.orgs["datto-rmm"]
                .iter()
                .find(|o| o.client == Some(c.index))
                .unwrap();
            let sat = Date::constant(2026, 3, 7);
            let wed = Date::constant(2026, 3, 4);
            let q = |d| match w.org_usage(org, d, false).get("desktop_laptop") {
                Some(Qty::Count(n)) => *n,
                _ => 0,
            };
            assert!(q(sat) < q(wed), "{} < {}", q(sat), q(wed));
        }
    }

    #[test]
    fn quantities_are_plausible() {
        let w = World::new(config(21, 80)).unwrap();
        let day = Date::constant(2026, 3, 10);
        for c in &w.clients {
            assert!((3..=500).contains(&c.employees), "{}", c.employees);
        }
        if let Some(s) = w.snapshot("backup-dr", day) {
            for o in &s.organizations {
                if let Some(Qty::Count(gb)) = o.usage.get("offsite_storage_gb") {
                    assert!((90..=25_000).contains(gb), "{gb}");
                }
            }
        }
        if let Some(s) = w.snapshot("datto-rmm", day) {
            for o in &s.organizations {
                if let Some(Qty::Count(n)) = o.usage.get("total_devices") {
                    assert!((1..=800).contains(n), "{n}");
                }
            }
        }
    }
}
