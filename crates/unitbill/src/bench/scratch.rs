//! The bench's temporary databases, and the process's peak memory.
//!
//! Every step runs on a database of its own, removed when the step is done: SQLite files in a
//! temporary directory (removed by a guard, so also on error or panic), or PostgreSQL databases
//! made next to the one `--database-url` names and dropped.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

/// Which backend the bench runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Fresh databases for the steps, cleaned up on drop.
pub struct Scratch {
    /// The server's URL (PostgreSQL), on which each fresh database is created.
    admin: Option<String>,
    /// The temporary directory of the SQLite files.
    dir: Option<PathBuf>,
    /// PostgreSQL databases made and not dropped yet.
    live: Vec<String>,
    counter: usize,
}

impl Scratch {
    /// PostgreSQL when `database_url` names a server, else SQLite in a new directory under
    /// `parent` (default: the system's temporary directory).
    pub fn new(database_url: Option<String>, parent: Option<PathBuf>) -> Result<Self> {
        match database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self {
                    admin: Some(url),
                    dir: None,
                    live: Vec::new(),
                    counter: 0,
                })
            }
            other => {
                if let Some(url) = other {
                    eprintln!("note: the bench makes its own SQLite databases; {url} is not used");
                }
                let parent = parent.unwrap_or_else(std::env::temp_dir);
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos());
                let dir = parent.join(format!("unitbill-bench-{}-{nanos}", std::process::id()));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                Ok(Self {
                    admin: None,
                    dir: Some(dir),
                    live: Vec::new(),
                    counter: 0,
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        if self.admin.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// How many setup writes to run at once: PostgreSQL commits concurrent transactions
    /// together; SQLite has one writer, so more would only queue on its lock.
    pub fn setup_concurrency(&self) -> usize {
        match self.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 8,
        }
    }

    /// A new empty database (not migrated: the store migrates it when it opens it).
    pub async fn fresh(&mut self, label: &str) -> Result<String> {
        self.counter += 1;
        if let Some(admin) = self.admin.clone() {
            // fresh_postgres panics when the server is unreachable (it is made for tests):
            // run it in a task so that becomes an error of the bench.
            let url =
                tokio::spawn(async move { unitbill_store::testing::fresh_postgres(&admin).await })
                    .await
                    .map_err(|_| {
                        anyhow!("cannot create a database on the --database-url server")
                    })?;
            self.live.push(url.clone());
            Ok(url)
        } else {
            let dir = self.dir.as_ref().expect("SQLite scratch has a directory");
            let file = dir.join(format!("{:02}-{label}.db", self.counter));
            Ok(format!("sqlite://{}", file.display()))
        }
    }

    /// Removes a database made by [`Scratch::fresh`]; its engine must be dropped first.
    pub async fn discard(&mut self, url: &str) -> Result<()> {
        if let Some(admin) = &self.admin {
            unitbill_store::bench::drop_postgres_database(admin, url)
                .await
                .with_context(|| format!("dropping {url}"))?;
            self.live.retain(|u| u != url);
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            for suffix in ["", "-wal", "-shm"] {
                remove_if_there(Path::new(&format!("{path}{suffix}")))?;
            }
        }
        Ok(())
    }

    /// Drops what is left (after an error); the directory goes when `self` is dropped.
    pub async fn cleanup(&mut self) {
        for url in std::mem::take(&mut self.live) {
            if let Err(e) = self.discard(&url).await {
                eprintln!("warning: {e:#}");
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir
            && let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("warning: could not remove {}: {e}", dir.display());
        }
        if !self.live.is_empty() {
            eprintln!(
                "warning: PostgreSQL databases left behind: {}",
                self.live.join(", ")
            );
        }
    }
}

fn remove_if_there(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// Resets the process's peak resident set size (VmHWM) to its current size (Linux; a no-op
/// elsewhere), so the next [`peak_rss_mib`] covers only what ran since.
pub fn reset_peak_rss() {
    release_free_memory();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Hands memory that earlier steps freed back to the OS, so the reset peak starts from what is
/// live: glibc's allocator keeps freed pages, which would otherwise count in every later peak.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release_free_memory() {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> std::ffi::c_int;
    }
    // SAFETY: malloc_trim only returns free heap pages to the OS; it takes no pointers.
    unsafe {
        malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

/// The process's peak resident set size since start or the last reset, in MiB (0 where
/// /proc is missing).
pub fn peak_rss_mib() -> f64 {
    let kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .unwrap_or(0.0);
    kb / 1024.0
}
