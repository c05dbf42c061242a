//! Support for the end-to-end tests: the release relay binary serving the release front end
//! (`dist/`, built by `scripts/build.sh`), and headless Chromium sessions driven over WebDriver.
//! Every process is killed when its guard drops, even when a test panics, and every wait is
//! bounded.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

pub const DEMO_EMAIL: &str = "anna@demo.example";
pub const DEMO_PASSWORD: &str = "browser-test-password";
/// Longest any single expectation may take to come true.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Where screenshots go: `$CHECKOUT_CHAT_ARTIFACTS`, else `test-artifacts/` in the workspace.
pub fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("CHECKOUT_CHAT_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("test-artifacts"));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// Kills a child process and its whole process group (ChromeDriver's Chromium) on drop.
struct ProcessGroup(Child);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        // The group id is the child's pid (it was started with `process_group(0)`). Never shell
        // out to `kill -KILL -PID` for this: procps' kill reads that as `kill(-1)`, which ends
        // every process the user may signal.
        if let Ok(pid) = i32::try_from(self.0.id()) {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The release relay binary on a free loopback port, with a fresh database.
pub struct Relay {
    _process: ProcessGroup,
    pub addr: SocketAddr,
    _data: tempfile::TempDir,
}

impl Relay {
    pub fn start() -> Result<Relay> {
        let root = workspace_root();
        let binary = root.join("target/release/relay");
        let dist = root.join("dist");
        if !binary.is_file() || !dist.join("shop/widget/checkout-chat-widget_bg.wasm").is_file() {
            bail!("the release build is missing; run ./scripts/test.sh (or ./scripts/build.sh) first");
        }
        let data = tempfile::tempdir()?;
        let mut child = Command::new(&binary)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--database")
            .arg(data.path().join("e2e.db"))
            .arg("--static-dir")
            .arg(&dist)
            .env("CHECKOUT_CHAT_DEMO_AGENT_PASSWORD", DEMO_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .context("starting the relay")?;
        let stdout = child.stdout.take().context("relay stdout")?;
        let process = ProcessGroup(child);
        let (sender, announced) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("checkout-chat relay listening on http://") {
                    let _ = sender.send(addr.to_owned());
                }
            }
        });
        let addr = announced.recv_timeout(Duration::from_secs(30)).context("the relay did not start")?.parse()?;
        Ok(Relay { _process: process, addr, _data: data })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// ChromeDriver on a free loopback port; sessions started from it run headless Chromium.
pub struct Chrome {
    _process: ProcessGroup,
    port: u16,
    profiles: Vec<tempfile::TempDir>,
}

impl Chrome {
    pub fn start() -> Result<Chrome> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .context("starting chromedriver (./scripts/setup.sh --browser installs it)")?;
        let process = ProcessGroup(child);
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Chrome { _process: process, port, profiles: Vec::new() })
    }

    /// A new browser window with its own empty profile (so its own localStorage).
    pub async fn session(&mut self) -> Result<Client> {
        let profile = tempfile::tempdir()?;
        let capabilities = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1280,800",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let serde_json::Value::Object(capabilities) = capabilities else { bail!("capabilities are an object") };
        self.profiles.push(profile);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .context("opening a browser session")?;
        Ok(client)
    }
}

/// Retries `check` until it yields a value or `PATIENCE` runs out; `what` names the expectation.
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let deadline = Instant::now() + PATIENCE;
    let mut last_error = None;
    loop {
        match check().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(error) => last_error = Some(error),
        }
        if Instant::now() > deadline {
            let detail = last_error.map(|e| format!(" (last error: {e:#})")).unwrap_or_default();
            bail!("timed out after {PATIENCE:?} waiting until {what}{detail}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The first element matching `css` inside the widget's Shadow DOM, once it exists.
pub async fn in_widget(client: &Client, css: &str) -> Result<Element> {
    eventually(&format!("the widget shows {css}"), || async {
        let host = client.find(Locator::Css("[data-checkout-chat]")).await?;
        let root = host.shadow_root().await?;
        Ok(root.find(Locator::Css(css)).await.ok())
    })
    .await
}

/// Clicks the first element matching `css` inside the widget, retrying while it is being replaced
/// (the loader's stand-in launcher gives way to the app's own when the app mounts).
pub async fn click_in_widget(client: &Client, css: &str) -> Result<()> {
    eventually(&format!("{css} in the widget can be clicked"), || async {
        let element = in_widget(client, css).await?;
        Ok(element.click().await.ok())
    })
    .await
}

/// Texts of all elements matching `css` inside the widget's Shadow DOM.
pub async fn widget_texts(client: &Client, css: &str) -> Result<Vec<String>> {
    let script = "const root = document.querySelector('[data-checkout-chat]')?.shadowRoot;\
                  return root ? [...root.querySelectorAll(arguments[0])].map(e => e.textContent) : [];";
    let value = client.execute(script, vec![serde_json::json!(css)]).await?;
    Ok(serde_json::from_value(value)?)
}

/// Texts of all elements matching `css` in the page.
pub async fn page_texts(client: &Client, css: &str) -> Result<Vec<String>> {
    let script = "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent);";
    let value = client.execute(script, vec![serde_json::json!(css)]).await?;
    Ok(serde_json::from_value(value)?)
}

/// Waits until some element matching `css` (in the widget when `widget`, else in the page) has
/// exactly `text`.
pub async fn wait_for_text(client: &Client, widget: bool, css: &str, text: &str) -> Result<()> {
    eventually(&format!("{css} shows {text:?}"), || async {
        let texts = if widget { widget_texts(client, css).await? } else { page_texts(client, css).await? };
        Ok(texts.iter().any(|t| t.trim() == text).then_some(()))
    })
    .await
}

pub async fn save_screenshot(client: &Client, name: &str) -> Result<PathBuf> {
    let png = client.screenshot().await?;
    let path = artifacts_dir().join(name);
    std::fs::write(&path, png)?;
    Ok(path)
}

/// A shop's own web server, on its own loopback port: a different origin than the relay. It
/// serves fixed pages (path → content), each with the headers given (a Content-Security-Policy,
/// say). A test double for the shop, which is outside the product.
pub struct ShopSite {
    pub addr: SocketAddr,
}

/// One page of a [`ShopSite`].
#[derive(Clone)]
pub struct Page {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Page {
    pub fn html(path: &'static str, body: String) -> Page {
        Page { path, content_type: "text/html; charset=utf-8", body, headers: Vec::new() }
    }

    pub fn script(path: &'static str, body: &str) -> Page {
        Page { path, content_type: "text/javascript; charset=utf-8", body: body.to_owned(), headers: Vec::new() }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Page {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

impl ShopSite {
    pub fn serve(pages: Vec<Page>) -> Result<ShopSite> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                let _ = answer(stream, &pages);
            }
        });
        Ok(ShopSite { addr })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn answer(mut stream: TcpStream, pages: &[Page]) -> std::io::Result<()> {
    use std::io::Write;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/");
    let Some(page) = pages.iter().find(|p| p.path == path) else {
        return write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n",
        page.content_type,
        page.body.len()
    );
    for (name, value) in &page.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    write!(stream, "{head}\r\n{}", page.body)
}
