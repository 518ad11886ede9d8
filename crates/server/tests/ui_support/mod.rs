//! Harness for the browser story: the app on port 0 over a fresh SQLite database with a test
//! clock, chromedriver on a free port, and a headless Chromium session driven by fantoccini.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use unitbill_domain::catalog::Catalog;
use unitbill_engine::tenants::TenantInput;
use unitbill_engine::{Clock, Engine};
use unitbill_server::AppState;
use unitbill_store::Role;

pub const TENANT: &str = "acme-msp";
pub const EMAIL: &str = "admin@acme.example";
pub const PASSWORD: &str = "a long password";

/// Where Chromium and chromedriver are, if both are installed.
pub fn browser_paths() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        names
            .iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .or_else(|| {
                let path = std::env::var_os("PATH")?;
                std::env::split_paths(&path)
                    .flat_map(|d| names.iter().map(move |n| d.join(n)))
                    .find(|p| p.is_file())
            })
    };
    let chromium = find(&[
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "chromium",
        "chromium-browser",
    ])?;
    let driver = find(&["/usr/bin/chromedriver", "chromedriver"])?;
    Some((chromium, driver))
}

pub struct App {
    pub base: String,
    pub engine: Engine,
    pub tenant_id: i64,
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }
}

/// The app over a fresh SQLite database, a tenant and its admin, clock at `now`.
pub async fn spawn_app(now: &str) -> App {
    let dir = std::env::temp_dir().join("unitbill-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join(format!(
        "ui_{}_{}.db",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    let store = unitbill_store::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("store");
    let engine = Engine::new(
        store,
        Catalog::built_in(),
        Clock::test(now.parse().expect("timestamp")),
    );
    let tenant = engine
        .create_tenant(&TenantInput {
            slug: TENANT.into(),
            name: "Acme MSP".into(),
            time_zone: "America/New_York".into(),
            currency: "USD".into(),
            sync_hour: 1,
        })
        .await
        .expect("tenant");
    engine
        .add_user(tenant.id, EMAIL, PASSWORD, Role::Admin)
        .await
        .expect("user");
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = unitbill_server::router(AppState::new(engine.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    App {
        base: format!("http://{addr}"),
        engine,
        tenant_id: tenant.id,
    }
}

/// chromedriver and a headless Chromium session; both end when this is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    profile: PathBuf,
    shots: PathBuf,
}

impl Drop for Browser {
    /// Ends chromedriver and the Chromium processes of this session's profile (found by
    /// their `--user-data-dir`, killed by id), also when the story panicked mid-way.
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let marker = format!("--user-data-dir={}", self.profile.display());
        if let Ok(procs) = std::fs::read_dir("/proc") {
            for p in procs.flatten() {
                let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                    continue;
                };
                let Ok(cmdline) = std::fs::read(p.path().join("cmdline")) else {
                    continue;
                };
                if cmdline
                    .split(|b| *b == 0)
                    .any(|arg| arg == marker.as_bytes())
                {
                    let _ = Command::new("kill")
                        .args(["-9", &pid.to_string()])
                        .stderr(Stdio::null())
                        .status();
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub async fn start_browser(chromium: &Path, driver: &Path, shots: PathBuf) -> Browser {
    let port = free_port();
    let mut child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile =
        std::env::temp_dir().join(format!("unitbill-chromium-{}-{port}", std::process::id()));
    std::fs::create_dir_all(&profile).expect("profile dir");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromedriver did not listen on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-dev-shm-usage",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                    "--hide-scrollbars",
                    "--lang=en-US",
                    format!("--user-data-dir={}", profile.display()),
                    "--window-size=1280,900",
                ]
            }
        }))
        .expect("capabilities");
    let mut client = None;
    for _ in 0..3 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(e) => {
                eprintln!("chromium session failed, retrying: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
    let client = client.expect("a Chromium session");
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    Browser {
        client,
        driver: child,
        profile,
        shots,
    }
}

impl Browser {
    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("goto");
        self.wait_css("main").await;
    }

    pub async fn wait_css(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css:?}: {e}"))
    }

    /// Waits until the text of the first element matching `css` contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut last = String::new();
        loop {
            if let Ok(e) = self.client.find(Locator::Css(css)).await
                && let Ok(t) = e.text().await
            {
                if t.contains(text) {
                    return t;
                }
                last = t;
            }
            if Instant::now() > deadline {
                let url = self
                    .client
                    .current_url()
                    .await
                    .map(|u| u.to_string())
                    .unwrap_or_default();
                panic!("{css:?} never contained {text:?} at {url}; last text: {last:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the page whose `<main data-page>` is `page`.
    pub async fn wait_page(&self, page: &str) {
        self.wait_css(&format!("main[data-page=\"{page}\"]")).await;
    }

    /// The text of the first element matching `css` (found again if htmx swapped it).
    pub async fn text(&self, css: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self.client.find(Locator::Css(css)).await;
            let text = match &found {
                Ok(e) => e.text().await.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            match text {
                Ok(t) => return t,
                Err(e) if Instant::now() > deadline => panic!("no text for {css:?}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn click(&self, css: &str) {
        self.wait_css(css).await.click().await.expect("click");
    }

    /// Clicks the first element matching an XPath expression, once it exists.
    pub async fn click_xpath(&self, xpath: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("no element {xpath:?}: {e}"))
            .click()
            .await
            .expect("click");
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let e = self.wait_css(css).await;
        e.clear().await.expect("clear");
        e.send_keys(value).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.wait_css(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value:?} in {css:?}: {e}"));
    }

    /// Saves a screenshot of the whole page as `<name>.png` at `width` pixels.
    pub async fn shot(&self, name: &str, width: u32) {
        self.client
            .set_window_size(width, 500)
            .await
            .expect("resize");
        // Grow the window to the whole page: its content height plus the window's frame.
        for _ in 0..2 {
            let dims = self
                .client
                .execute(
                    "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight]",
                    vec![],
                )
                .await
                .expect("page height");
            let content = dims[0].as_u64().unwrap_or(900).clamp(400, 8000) as u32;
            let frame = dims[1].as_u64().unwrap_or(0).min(200) as u32;
            self.client
                .set_window_size(width, content + frame)
                .await
                .expect("resize");
        }
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(self.shots.join(format!("{name}.png")), png).expect("write screenshot");
        self.client
            .set_window_size(1280, 900)
            .await
            .expect("resize");
    }
}
