//! Where settings come from: flags, then `UNITBILL_*` environment variables, then a TOML file
//! (`--config`), then defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Deserialize;

/// The `--config` file. Every key is optional.
///
/// ```toml
/// database_url = "postgres://localhost/unitbill"  # or sqlite:///var/lib/unitbill/unitbill.db
/// data_dir = "/var/lib/unitbill"                  # used when database_url is not set
/// listen = "127.0.0.1:8080"
/// catalog = "/etc/unitbill/extra-modules.toml"
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub catalog: Option<PathBuf>,
}

impl FileConfig {
    pub fn load(path: Option<&PathBuf>) -> Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("config file {}", path.display()))
    }
}

/// The default data directory: the user's data directory (e.g. ~/.local/share/unitbill).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("unitbill")
}

/// The database URL: given, or a SQLite file under the data directory.
pub fn database_url(given: Option<String>, data_dir: PathBuf) -> Result<String> {
    if let Some(url) = given {
        return Ok(url);
    }
    std::fs::create_dir_all(&data_dir)
        .with_context(|| format!("creating data directory {}", data_dir.display()))?;
    Ok(format!(
        "sqlite://{}",
        data_dir.join("unitbill.db").display()
    ))
}

pub fn init_logging(json: bool) {
    init_logging_with(json, "info,sqlx=warn,tower_http=info");
}

/// Logging with `default` as the filter when `UNITBILL_LOG` is not set.
pub fn init_logging_with(json: bool, default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("UNITBILL_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
