//! The verbs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;
use unitbill_domain::catalog::Catalog;
use unitbill_engine::signin::{Limits, ThrottlePolicy};
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_server::AppState;
use unitbill_store::Role;

use crate::config::{FileConfig, database_url, default_data_dir};

/// Integrated customer billing for managed service providers: daily unit counts from every
/// module, mapped to client companies and contract services, billed on one invoice a month.
#[derive(Parser, Debug)]
#[command(name = "unitbill", version, propagate_version = true)]
pub struct Cli {
    /// Database: sqlite://PATH or postgres://USER@HOST/DB. Default: SQLite under --data-dir.
    #[arg(long, env = "UNITBILL_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded SQLite database. Default: the user's data directory.
    #[arg(long, env = "UNITBILL_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// A TOML file with database_url, data_dir, listen, catalog, secure_cookies, trust_proxy.
    #[arg(long, env = "UNITBILL_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Log as JSON lines (for log collectors) instead of text.
    #[arg(long, env = "UNITBILL_LOG_JSON", global = true)]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (and web UI) over HTTP.
    Serve(ServeArgs),
    /// Set up a demo tenant and serve it: the quickest way to see unitbill work.
    Demo(crate::demo::DemoArgs),
    /// Push realistic daily snapshots of catalog modules through the ingestion API.
    Simulate(crate::simulate::SimulateArgs),
    /// Create and list tenants (MSPs).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Add people who sign in to a tenant.
    #[command(subcommand)]
    User(UserCommand),
    /// Issue API tokens for scripts and integrations.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Connect modules and issue their keys.
    #[command(subcommand)]
    Module(ModuleCommand),
    /// Mapping suggestions: measure the matcher on the labelled evaluation set.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Bring a tenant's unit history up to date (the nightly job, on demand).
    Sync(SyncArgs),
    /// Invoice runs, documents, payments.
    #[command(subcommand)]
    Invoice(InvoiceCommand),
    /// Write a period's documents as PDF, UBL 2.1, QuickBooks or Xero CSV, or an hledger journal.
    Export(crate::export_cli::ExportArgs),
    /// The insights inbox: what needs attention this morning.
    Insights {
        #[arg(long)]
        tenant: String,
        /// Include dismissed and resolved items.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// The daily activity log (increased / decreased / unchanged / failed).
    Activity {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// Only the failed rows (usage that bills nothing).
        #[arg(long)]
        failed_only: bool,
        #[arg(long)]
        json: bool,
    },
    /// Daily units of one contract service.
    Units {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        contract_service: i64,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        #[arg(long)]
        json: bool,
    },
    /// Measure ingestion, sync, invoicing and database growth against the storage engine's
    /// own limit, at 1x and 2x size, on fresh databases (results: docs/benchmarks.md).
    Bench(crate::bench::BenchArgs),
}

#[derive(Subcommand, Debug)]
pub enum InvoiceCommand {
    /// Run (or re-run) the close of a period: sync, then one draft per company.
    Run {
        #[arg(long)]
        tenant: String,
        /// The period to close, YYYY-MM.
        #[arg(long)]
        period: String,
        /// Post the drafts at once.
        #[arg(long)]
        post: bool,
        #[arg(long)]
        json: bool,
    },
    /// List documents.
    List {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        period: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show one document (by number or id) with its lines.
    Show {
        #[arg(long)]
        tenant: String,
        number: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum MappingCommand {
    /// Print top-1 accuracy and bulk-accept precision and recall on the labelled sets.
    Evaluate {
        /// Bulk-accept threshold (default: the matcher's tuned default).
        #[arg(long)]
        threshold: Option<f64>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args, Debug)]
pub struct SyncArgs {
    #[arg(long)]
    pub tenant: String,
    /// Sync through this date (default: yesterday in the tenant's time zone).
    #[arg(long, conflicts_with = "to")]
    pub date: Option<String>,
    /// Recompute from this date (with --to).
    #[arg(long, requires = "to")]
    pub from: Option<String>,
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "UNITBILL_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Let an admin set the server's clock through the API (testing only; logged loudly).
    #[arg(long)]
    pub test_clock: bool,
    /// Always mark the session cookie `Secure` and send Strict-Transport-Security (serve over
    /// HTTPS, or behind a proxy that does). Without it the cookie is `Secure` only when the
    /// proxy sends `X-Forwarded-Proto: https`.
    #[arg(long, env = "UNITBILL_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Throttle sign-ins by the last `X-Forwarded-For` address instead of the socket's peer:
    /// only behind a proxy that sets that header (a client can forge it otherwise).
    #[arg(long, env = "UNITBILL_TRUST_PROXY")]
    pub trust_proxy: bool,
    #[command(flatten)]
    pub throttle: ThrottleArgs,
}

/// Sign-in throttling: a growing delay after some failures, then a lockout.
#[derive(Args, Debug)]
pub struct ThrottleArgs {
    /// Failed sign-ins of one account before each further attempt must wait (2 s, doubling).
    #[arg(long, env = "UNITBILL_SIGNIN_DELAY_AFTER", default_value_t = 5)]
    pub signin_delay_after: i64,
    /// Failed sign-ins of one account that lock it out.
    #[arg(long, env = "UNITBILL_SIGNIN_LOCKOUT_AFTER", default_value_t = 10)]
    pub signin_lockout_after: i64,
    /// How long a lockout lasts (and how long failures are remembered), in minutes.
    #[arg(long, env = "UNITBILL_SIGNIN_LOCKOUT_MINUTES", default_value_t = 15)]
    pub signin_lockout_minutes: i64,
    /// As --signin-delay-after, for one client address (one office can share an address).
    #[arg(
        long,
        env = "UNITBILL_SIGNIN_ADDRESS_DELAY_AFTER",
        default_value_t = 20
    )]
    pub signin_address_delay_after: i64,
    /// As --signin-lockout-after, for one client address.
    #[arg(
        long,
        env = "UNITBILL_SIGNIN_ADDRESS_LOCKOUT_AFTER",
        default_value_t = 50
    )]
    pub signin_address_lockout_after: i64,
}

impl ThrottleArgs {
    /// The policy these flags describe, if it makes sense.
    pub fn policy(&self) -> Result<ThrottlePolicy> {
        let seconds = self.signin_lockout_minutes * 60;
        let limits = |delay_after: i64, lockout_after: i64, what: &str| -> Result<Limits> {
            if delay_after < 1 || lockout_after < delay_after || seconds < 1 {
                anyhow::bail!(
                    "{what}: the delay must start after at least 1 failure, the lockout at or after it, and last at least a minute"
                );
            }
            Ok(Limits {
                delay_after,
                lockout_after,
                lockout_seconds: seconds,
            })
        };
        Ok(ThrottlePolicy {
            account: limits(
                self.signin_delay_after,
                self.signin_lockout_after,
                "--signin-delay-after/--signin-lockout-after",
            )?,
            address: limits(
                self.signin_address_delay_after,
                self.signin_address_lockout_after,
                "--signin-address-delay-after/--signin-address-lockout-after",
            )?,
        })
    }
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant.
    Create {
        /// Short id used in URLs and logins, e.g. acme-msp.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// IANA time zone: periods and usage dates are civil dates there.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// ISO 4217 currency of the tenant's invoices.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Hour of the day (tenant time) the nightly sync runs.
        #[arg(long, default_value_t = 1)]
        sync_hour: i64,
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user to a tenant.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// The password (or set UNITBILL_PASSWORD).
        #[arg(long, env = "UNITBILL_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: Role,
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password; every session of the user is signed out.
    Password {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// The new password (or set UNITBILL_PASSWORD).
        #[arg(long, env = "UNITBILL_PASSWORD", hide_env_values = true)]
        password: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Revoke an API token by id.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: i64,
    },
    /// Create an API token (printed once).
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: Role,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ModuleCommand {
    /// List the tenant's module keys (ids, modules, revoked or not).
    Keys {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a module key by id: the module can no longer push with it.
    Revoke {
        #[arg(long)]
        tenant: String,
        id: i64,
    },
    /// Connect a module and print its key (shown once). Codes: `unitbill module catalog`.
    Connect {
        /// Module code, e.g. datto-rmm; a code not in the catalog connects a custom module.
        module: String,
        #[arg(long)]
        tenant: String,
        /// Display name of a custom module.
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List the module catalog and its billing types.
    Catalog {
        #[arg(long)]
        json: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("{s:?} is not a role: admin, billing or viewer"))
}

/// The engine over the configured store.
pub async fn open_engine(cli: &Cli, clock: Clock) -> Result<(Engine, FileConfig)> {
    let file = FileConfig::load(cli.config.as_ref())?;
    let data_dir = cli
        .data_dir
        .clone()
        .or(file.data_dir.clone())
        .unwrap_or_else(default_data_dir);
    let url = database_url(
        cli.database_url.clone().or(file.database_url.clone()),
        data_dir,
    )?;
    let store = unitbill_store::connect(&url)
        .await
        .with_context(|| format!("opening database {}", redact(&url)))?;
    let mut catalog = Catalog::built_in();
    if let Some(path) = &file.catalog {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading catalog {}", path.display()))?;
        catalog.extend_from_toml(&text)?;
    }
    tracing::debug!(
        database = redact(&url),
        backend = store.backend(),
        "store opened"
    );
    Ok((Engine::new(store, catalog, clock), file))
}

/// Hides a password in a database URL for logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn print<T: Serialize>(json: bool, value: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(value)?);
    } else {
        println!("{}", text(value));
    }
    Ok(())
}

pub async fn run(cli: Cli) -> Result<()> {
    let clock = match &cli.command {
        Command::Serve(a) if a.test_clock => Clock::test(jiff::Timestamp::now()),
        _ => Clock::system(),
    };
    if let Command::Bench(cmd) = cli.command {
        return crate::bench::run(cmd, cli.database_url).await;
    }
    let (engine, file) = open_engine(&cli, clock).await?;
    match cli.command {
        Command::Serve(args) => {
            if engine.clock.is_test() {
                tracing::warn!(
                    "TEST CLOCK ON: an admin can set the server's time; never use this in production"
                );
            }
            let listen = args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
            let engine = engine.with_throttle_policy(args.throttle.policy()?);
            let mut state = AppState::new(engine);
            state.secure_cookies = args.secure_cookies || file.secure_cookies.unwrap_or(false);
            state.trust_proxy = args.trust_proxy || file.trust_proxy.unwrap_or(false);
            if !state.secure_cookies {
                tracing::info!(
                    "session cookies are Secure only behind HTTPS proxies that say so; use --secure-cookies when serving over HTTPS"
                );
            }
            // Several `serve` processes behind one load balancer should sign confirmations alike.
            if let Ok(hex_key) = std::env::var("UNITBILL_SESSION_KEY") {
                let bytes: Vec<u8> = (0..hex_key.len())
                    .step_by(2)
                    .filter_map(|i| {
                        hex_key
                            .get(i..i + 2)
                            .and_then(|b| u8::from_str_radix(b, 16).ok())
                    })
                    .collect();
                let key: [u8; 64] = bytes.try_into().map_err(|_| {
                    anyhow::anyhow!("UNITBILL_SESSION_KEY must be 128 hex characters (64 bytes)")
                })?;
                state.session_key = std::sync::Arc::new(key);
            }
            unitbill_server::serve(state, listen).await?;
        }
        Command::Demo(args) => crate::demo::run(engine, args, file.listen).await?,
        Command::Simulate(args) => crate::simulate::run(engine, args).await?,
        Command::Tenant(TenantCommand::Create {
            slug,
            name,
            time_zone,
            currency,
            sync_hour,
            json,
        }) => {
            let t = engine
                .create_tenant(&TenantInput {
                    slug,
                    name,
                    time_zone,
                    currency,
                    sync_hour,
                })
                .await?;
            print(json, &t, |t| {
                format!(
                    "created tenant {} ({}), id {}, {} {}",
                    t.slug, t.name, t.id, t.time_zone, t.currency
                )
            })?;
        }
        Command::Tenant(TenantCommand::List { json }) => {
            let all = engine.tenants().await?;
            print(json, &all, |all| {
                all.iter()
                    .map(|t| {
                        format!(
                            "{:>4}  {:<20} {:<30} {:<20} {}",
                            t.id, t.slug, t.name, t.time_zone, t.currency
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::User(UserCommand::Add {
            tenant,
            email,
            password,
            role,
            json,
        }) => {
            let t = engine.find_tenant(&tenant).await?;
            let u = engine.add_user(t.id, &email, &password, role).await?;
            print(json, &u, |u| {
                format!("added {} to {} as {}", u.email, t.slug, u.role.as_str())
            })?;
        }
        Command::User(UserCommand::Password {
            tenant,
            email,
            password,
        }) => {
            let t = engine.find_tenant(&tenant).await?;
            engine.set_password(t.id, &email, &password).await?;
            println!(
                "set the password of {} in {}; their sessions are signed out",
                email.trim().to_lowercase(),
                t.slug
            );
        }
        Command::Token(TokenCommand::Create {
            tenant,
            name,
            role,
            json,
        }) => {
            let t = engine.find_tenant(&tenant).await?;
            let issued = engine.issue_api_token(t.id, &name, role).await?;
            print(json, &issued, |i| {
                format!(
                    "API token for {} ({}), shown only now:\n{}",
                    t.slug,
                    i.record.role.as_str(),
                    i.secret
                )
            })?;
        }
        Command::Module(ModuleCommand::Connect {
            module,
            tenant,
            name,
            json,
        }) => {
            let t = engine.find_tenant(&tenant).await?;
            let issued = engine
                .connect_module(t.id, &module, name.as_deref())
                .await?;
            print(json, &issued, |i| {
                format!(
                    "connected {} for {}; its module key, shown only now:\n{}\n\nsend usage with:\n  curl -X PUT -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' \\\n    http://127.0.0.1:8080/api/v1/modules/{}/usage/YYYY-MM-DD -d @snapshot.json",
                    i.record.module_code, t.slug, i.secret, i.secret, i.record.module_code
                )
            })?;
        }
        Command::Mapping(MappingCommand::Evaluate { threshold, json }) => {
            use unitbill_domain::matching::{DEFAULT_ACCEPT_THRESHOLD, evaluate, evaluate_holdout};
            let t = threshold.unwrap_or(DEFAULT_ACCEPT_THRESHOLD);
            let reports = [
                ("evaluation set", evaluate(t)),
                ("held-out set", evaluate_holdout(t)),
            ];
            print(json, &reports, |reports| {
                reports
                    .iter()
                    .map(|(name, r)| {
                        format!(
                            "{name}: {} orgs ({} with a company)\n  top-1 accuracy        {:.2}% ({}/{})\n  bulk-accept @ {:.2}     precision {:.2}% ({}/{}), accepts {:.2}% of orgs with a company\n  wrong accepts         {}{}",
                            r.orgs,
                            r.with_company,
                            r.top1_accuracy * 100.0,
                            r.top1_correct,
                            r.with_company,
                            r.threshold,
                            r.precision * 100.0,
                            r.accepted_correct,
                            r.accepted,
                            r.recall * 100.0,
                            r.wrong_accepts.len(),
                            r.wrong_accepts.iter().map(|(o, s, t)| format!("\n    {o:?} -> {s:?} (truth {t:?})")).collect::<String>()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::Sync(args) => {
            let t = engine.find_tenant(&args.tenant).await?;
            let parse = |f: &str, v: &str| unitbill_engine::ingest::parse_date(f, v);
            let through = match (&args.date, &args.to) {
                (Some(d), _) => parse("date", d)?,
                (None, Some(d)) => parse("to", d)?,
                (None, None) => unitbill_engine::tenants::tenant_today(&engine, &t)?.yesterday()?,
            };
            if let Some(from) = &args.from {
                engine.resync_from(t.id, parse("from", from)?).await?;
            }
            let report = engine.sync_through(t.id, through).await?;
            print(args.json, &report, |r| match (&r.from, r.busy) {
                (_, true) => "another process is syncing this tenant; nothing done".to_owned(),
                (None, _) => format!("{} is up to date through {}", t.slug, r.through),
                (Some(from), _) => format!(
                    "synced {} from {from} through {} ({} days)",
                    t.slug, r.through, r.days
                ),
            })?;
        }
        Command::Invoice(cmd) => crate::invoice_cli::run(&engine, cmd).await?,
        Command::Export(args) => crate::export_cli::run(&engine, args).await?,
        Command::Bench(_) => unreachable!("handled before opening the store"),
        Command::Token(TokenCommand::Revoke { tenant, id }) => {
            let t = engine.find_tenant(&tenant).await?;
            engine.revoke_api_token(t.id, id).await?;
            println!("revoked API token {id} of {}", t.slug);
        }
        Command::Module(ModuleCommand::Keys { tenant, json }) => {
            let t = engine.find_tenant(&tenant).await?;
            let keys = engine.module_keys(t.id).await?;
            print(json, &keys, |keys| {
                keys.iter()
                    .map(|k| {
                        format!(
                            "{:>5}  {:<24} created {}  {}",
                            k.id,
                            k.module_code,
                            k.created_at,
                            k.revoked_at
                                .as_deref()
                                .map_or("active".to_owned(), |r| format!("revoked {r}"))
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::Module(ModuleCommand::Revoke { tenant, id }) => {
            let t = engine.find_tenant(&tenant).await?;
            engine.revoke_module_key(t.id, id).await?;
            println!("revoked module key {id} of {}", t.slug);
        }
        Command::Insights { tenant, all, json } => {
            let t = engine.find_tenant(&tenant).await?;
            let items = engine.insights(t.id, all).await?;
            print(json, &items, |items| {
                if items.is_empty() {
                    return "nothing needs attention".to_owned();
                }
                items
                    .iter()
                    .map(|i| {
                        format!(
                            "[{}] {}{}\n    {}  (key {})",
                            i.kind,
                            i.title,
                            i.amount
                                .as_deref()
                                .map(|a| format!(" - {a} at stake"))
                                .unwrap_or_default(),
                            i.detail,
                            i.key
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::Activity {
            tenant,
            from,
            to,
            failed_only,
            json,
        } => {
            let t = engine.find_tenant(&tenant).await?;
            let parse = |f: &str, v: &str| unitbill_engine::ingest::parse_date(f, v);
            let rows = engine
                .activity(t.id, parse("from", &from)?, parse("to", &to)?, failed_only)
                .await?;
            print(json, &rows, |rows| {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}  {:<22} {:<24} company {:<6} service {:<6} {:<10} {:>6} (was {}){}{}",
                            r.day,
                            r.module_code,
                            r.billing_type,
                            r.company_id.map_or("-".into(), |c| c.to_string()),
                            r.contract_service_id.map_or("-".into(), |c| c.to_string()),
                            r.status,
                            r.units,
                            r.previous_units,
                            r.reason.as_deref().map(|x| format!("  {x}")).unwrap_or_default(),
                            r.amount_at_stake.as_deref().map(|x| format!("  {x} at stake")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::Units {
            tenant,
            contract_service,
            from,
            to,
            json,
        } => {
            let t = engine.find_tenant(&tenant).await?;
            let parse = |f: &str, v: &str| unitbill_engine::ingest::parse_date(f, v);
            let rows = engine
                .unit_history(
                    t.id,
                    Some(contract_service),
                    parse("from", &from)?,
                    parse("to", &to)?,
                )
                .await?;
            print(json, &rows, |rows| {
                rows.iter()
                    .map(|r| {
                        format!(
                            "{}  {:>10}{}",
                            r.day,
                            r.units,
                            if r.stale { "  (carried forward)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
        Command::Module(ModuleCommand::Catalog { json }) => {
            let modules: Vec<_> = engine.catalog.modules().cloned().collect();
            print(json, &modules, |ms| {
                ms.iter()
                    .map(|m| {
                        let types = m
                            .billing_types
                            .iter()
                            .map(|b| format!("{} ({})", b.code, b.unit.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ");
                        format!("{:<24} {:<28} {}", m.code, m.name, types)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })?;
        }
    }
    Ok(())
}
