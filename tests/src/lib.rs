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

pub mod host_page;
pub mod weight;

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

/// The release relay binary on a loopback port, with its own database (kept across restarts).
pub struct Relay {
    process: Option<ProcessGroup>,
    pub addr: SocketAddr,
    data: tempfile::TempDir,
    /// The front end it serves: `dist/`, or a copy of it with extra pages.
    static_dir: PathBuf,
}

impl Relay {
    /// Starts the relay on a free port with a fresh database.
    pub fn start() -> Result<Relay> {
        Relay::start_serving(&workspace_root().join("dist"))
    }

    /// The same with a configuration file of `toml` (the shops and their rules, say).
    pub fn start_with_config(toml: &str) -> Result<Relay> {
        let data = tempfile::tempdir()?;
        std::fs::write(data.path().join(CONFIG_FILE), toml)?;
        let static_dir = workspace_root().join("dist");
        let (process, addr) = launch("127.0.0.1:0", data.path(), &static_dir)?;
        Ok(Relay { process: Some(process), addr, data, static_dir })
    }

    /// Starts the relay serving the front end from `static_dir` (laid out as `dist/` is).
    pub fn start_serving(static_dir: &Path) -> Result<Relay> {
        let data = tempfile::tempdir()?;
        let static_dir = static_dir.to_path_buf();
        let (process, addr) = launch("127.0.0.1:0", data.path(), &static_dir)?;
        Ok(Relay { process: Some(process), addr, data, static_dir })
    }

    /// `relay report --json` on this relay's database and configuration.
    pub fn report(&self) -> Result<serde_json::Value> {
        let mut command = Command::new(workspace_root().join("target/release/relay"));
        command.arg("--database").arg(self.data.path().join("e2e.db"));
        let config = self.data.path().join(CONFIG_FILE);
        if config.is_file() {
            command.arg("--config").arg(config);
        }
        let output = command.args(["report", "--shop", "demo", "--json"]).output()?;
        anyhow::ensure!(output.status.success(), "relay report: {}", String::from_utf8_lossy(&output.stderr));
        Ok(serde_json::from_slice(&output.stdout)?)
    }

    /// Kills the relay (SIGKILL: no goodbye to clients, as in a crash).
    pub fn kill(&mut self) {
        self.process = None;
    }

    /// Starts the relay again on the same port and database.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let (process, addr) = launch(&self.addr.to_string(), self.data.path(), &self.static_dir)?;
        anyhow::ensure!(addr == self.addr, "the relay came back on {addr}, not {}", self.addr);
        self.process = Some(process);
        Ok(())
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// The configuration file a test may put in the relay's data directory.
const CONFIG_FILE: &str = "relay.toml";

fn launch(listen: &str, data: &Path, dist: &Path) -> Result<(ProcessGroup, SocketAddr)> {
    let binary = workspace_root().join("target/release/relay");
    if !binary.is_file() || !dist.join("shop/widget/checkout-chat-widget_bg.wasm").is_file() {
        bail!("the release build is missing; run ./scripts/test.sh (or ./scripts/build.sh) first");
    }
    let mut command = Command::new(&binary);
    if data.join(CONFIG_FILE).is_file() {
        command.arg("--config").arg(data.join(CONFIG_FILE));
    }
    let mut child = command
        .args(["--listen", listen])
        .arg("--database")
        .arg(data.join("e2e.db"))
        .arg("--static-dir")
        .arg(dist)
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
    Ok((process, addr))
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

    /// A new desktop browser window with its own empty profile (so its own localStorage).
    pub async fn session(&mut self) -> Result<Client> {
        self.session_with(serde_json::json!({})).await
    }

    /// A desktop window as [`Chrome::session`] gives, started with extra Chromium `flags`.
    pub async fn session_with_flags(&mut self, flags: &[&str]) -> Result<Client> {
        self.session_with(serde_json::json!({ "args": flags })).await
    }

    /// A phone-sized window (390×844 CSS pixels, touch, device pixel ratio 2).
    pub async fn phone_session(&mut self) -> Result<Client> {
        let metrics =
            serde_json::json!({"deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2.0, "touch": true}});
        self.session_with(serde_json::json!({"mobileEmulation": metrics})).await
    }

    async fn session_with(&mut self, extra: serde_json::Value) -> Result<Client> {
        let profile = tempfile::tempdir()?;
        let mut options = serde_json::json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1280,800", "--lang=en-US",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        });
        if let (Some(options), serde_json::Value::Object(mut extra)) = (options.as_object_mut(), extra) {
            // Extra flags are added to the ones every session needs, not put in their place.
            if let (Some(serde_json::Value::Array(args)), Some(serde_json::Value::Array(more))) =
                (options.get_mut("args"), extra.remove("args"))
            {
                args.extend(more);
            }
            options.extend(extra);
        }
        let capabilities = serde_json::json!({ "browserName": "chrome", "goog:chromeOptions": options });
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
        // The widget isolates names and addresses in its sentences with invisible bidi marks.
        Ok(texts.iter().any(|t| t.replace(['\u{2068}', '\u{2069}'], "").trim() == text).then_some(()))
    })
    .await
}

/// Runs `script` (a function body; `arguments[0]` is `arg`) in the page and returns its result.
pub async fn js<T: serde::de::DeserializeOwned>(client: &Client, script: &str, arg: serde_json::Value) -> Result<T> {
    let value = client.execute(script, vec![arg]).await?;
    Ok(serde_json::from_value(value)?)
}

/// Presses and releases one key, as a keyboard user does (into whatever has the focus).
pub async fn press(client: &Client, key: impl Into<char>) -> Result<()> {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let key = key.into();
    let actions =
        KeyActions::new("keyboard".into()).then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    client.perform_actions(actions).await?;
    Ok(())
}

/// Presses `key` with Shift held (Shift+Tab goes backwards).
pub async fn press_with_shift(client: &Client, key: impl Into<char>) -> Result<()> {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let (key, shift) = (key.into(), char::from(fantoccini::key::Key::Shift));
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: shift })
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key })
        .then(KeyAction::Up { value: shift });
    client.perform_actions(actions).await?;
    Ok(())
}

/// Types `text` key by key into whatever has the focus.
pub async fn type_keys(client: &Client, text: &str) -> Result<()> {
    for key in text.chars() {
        press(client, key).await?;
    }
    Ok(())
}

/// Reads a JSON translation file of the widget (`widget/i18n/<language>.json`).
pub fn translation(language: &str) -> Result<std::collections::HashMap<String, String>> {
    let path = workspace_root().join(format!("widget/i18n/{language}.json"));
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

/// The demo agent online without a browser: logged in over HTTP, with the agent socket open (so
/// shoppers see someone is there) until dropped.
pub struct AgentOnline {
    task: tokio::task::JoinHandle<()>,
}

impl AgentOnline {
    /// The demo agent (an admin), online.
    pub async fn connect(relay: &Relay) -> Result<AgentOnline> {
        AgentOnline::connect_as(relay, DEMO_EMAIL, DEMO_PASSWORD).await
    }

    pub async fn connect_as(relay: &Relay, email: &str, password: &str) -> Result<AgentOnline> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let cookie = login_cookie(relay, email, password).await?;
        let mut request = format!("ws://{}/v1/agent", relay.addr).into_client_request()?;
        request.headers_mut().insert("cookie", cookie.parse()?);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
        let task = tokio::spawn(async move {
            use futures_util::StreamExt;
            while let Some(Ok(_)) = socket.next().await {}
        });
        Ok(AgentOnline { task })
    }
}

/// Logs in over HTTP; the session cookie (`name=value`).
async fn login_cookie(relay: &Relay, email: &str, password: &str) -> Result<String> {
    let response = reqwest::Client::new()
        .post(relay.url("/v1/agent/login"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "login failed: {}", response.status());
    let cookie = response.headers().get("set-cookie").and_then(|c| c.to_str().ok()).and_then(|c| c.split(';').next());
    Ok(cookie.context("no session cookie")?.to_owned())
}

/// Adds an agent (not an admin) to the demo shop, as its admin would on the team page.
pub async fn add_agent(relay: &Relay, email: &str, name: &str, password: &str) -> Result<()> {
    let cookie = login_cookie(relay, DEMO_EMAIL, DEMO_PASSWORD).await?;
    let response = reqwest::Client::new()
        .post(relay.url("/v1/admin/agents"))
        .header("cookie", cookie)
        .json(&serde_json::json!({ "email": email, "name": name, "password": password }))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "adding {email} failed: {}", response.status());
    Ok(())
}

impl Drop for AgentOnline {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Logs the demo agent (an admin) in to the console in `agent`'s window.
pub async fn console_login(agent: &Client, relay: &Relay) -> Result<()> {
    console_login_as(agent, relay, DEMO_EMAIL, DEMO_PASSWORD).await
}

/// Logs the account `email` in to the console in `agent`'s window.
pub async fn console_login_as(agent: &Client, relay: &Relay, email: &str, password: &str) -> Result<()> {
    agent.goto(&relay.url("/console")).await?;
    find(agent, "#email").await?.send_keys(email).await?;
    find(agent, "#password").await?.send_keys(password).await?;
    find(agent, ".login-card button[type=submit]").await?.click().await?;
    find(agent, ".inbox").await?;
    Ok(())
}

/// Opens the console's inbox row whose text contains `text`, once it is there.
pub async fn open_row(agent: &Client, text: &str) -> Result<()> {
    eventually(&format!("the row of {text:?}"), || async {
        let clicked: bool = js(
            agent,
            "const row = [...document.querySelectorAll('.row')].find((r) => r.textContent.includes(arguments[0]));
             if (row) { row.click(); }
             return !!row;",
            serde_json::json!(text),
        )
        .await?;
        Ok(clicked.then_some(()))
    })
    .await
}

/// Sets the form control `css` in the page as typing or picking would: its value, then `input`
/// and `change`.
pub async fn set_field(client: &Client, css: &str, value: &str) -> Result<()> {
    let found: bool = js(
        client,
        "const [css, value] = arguments[0]; const field = document.querySelector(css);
         if (!field) return false;
         field.value = value;
         field.dispatchEvent(new Event('input', { bubbles: true }));
         field.dispatchEvent(new Event('change', { bubbles: true }));
         return true;",
        serde_json::json!([css, value]),
    )
    .await?;
    anyhow::ensure!(found, "no {css} on the page");
    Ok(())
}

/// The first element matching `css` in the page, once it exists.
pub async fn find(client: &Client, css: &str) -> Result<Element> {
    eventually(&format!("the page shows {css}"), || async { Ok(client.find(Locator::Css(css)).await.ok()) }).await
}

/// axe-core's WCAG 2.1 A and AA audit of the parts of the page matching `parts` (CSS selectors;
/// none: the whole document), as it is now (axe reads open shadow roots too): one line per violated
/// rule, naming the elements. axe comes from `tools/node_modules` (scripts/setup.sh installs it)
/// and is injected through WebDriver, which the page's CSP does not govern.
pub async fn accessibility_violations(client: &Client, parts: &[&str]) -> Result<Vec<String>> {
    let path = workspace_root().join("tools/node_modules/axe-core/axe.min.js");
    let axe = std::fs::read_to_string(&path).with_context(|| format!("{} (run scripts/setup.sh)", path.display()))?;
    client.execute(&axe, Vec::new()).await?;
    let audit = "const done = arguments[arguments.length - 1];
        const parts = arguments[0];
        axe.run(parts.length ? { include: parts.map((css) => [css]) } : document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
          .then((r) => done(r.violations.map((v) => v.id + ': ' + v.help + ' — '
                + v.nodes.map((n) => n.target.join(' ')).join(', '))))
          .catch((e) => done(['axe did not run: ' + e]));";
    let found = client.execute_async(audit, vec![serde_json::json!(parts)]).await?;
    Ok(serde_json::from_value(found)?)
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

/// A shopper played by a WebSocket client speaking the visitor protocol (the frames the widget
/// sends): for tests about the relay and the console, where widgets in browsers would only make
/// the test about Chromium.
pub type VisitorSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A visitor socket after `hello` (the relay's welcome read).
pub async fn visitor_socket(relay: &Relay, hello: serde_json::Value) -> Result<VisitorSocket> {
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("ws://{}/v1/visitor", relay.addr)).await?;
    send_frame(&mut socket, hello).await?;
    until(&mut socket, "welcome").await?;
    Ok(socket)
}

pub async fn send_frame(socket: &mut VisitorSocket, frame: serde_json::Value) -> Result<()> {
    use futures_util::SinkExt;
    socket.send(tokio_tungstenite::tungstenite::Message::Text(frame.to_string().into())).await?;
    Ok(())
}

/// Reads frames until one of `kind` arrives (10 s at most); an error frame fails.
pub async fn until(socket: &mut VisitorSocket, kind: &str) -> Result<serde_json::Value> {
    use futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.context(format!("no {kind} frame"))?;
        if let Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) = message {
            let frame: serde_json::Value = serde_json::from_str(text.as_str())?;
            if frame["type"] == kind {
                return Ok(frame);
            }
            if frame["type"] == "error" {
                bail!("the relay refused: {frame}");
            }
        }
    }
}

/// A shopper who writes `text` and leaves (gone, so routing gives the chat to nobody: it waits).
pub async fn shopper_writes_and_leaves(relay: &Relay, text: &str) -> Result<()> {
    let mut socket = visitor_socket(relay, serde_json::json!({"type": "hello", "shop": "demo"})).await?;
    send_frame(&mut socket, serde_json::json!({"type": "send", "client_id": "m1", "text": text})).await?;
    until(&mut socket, "ack").await?;
    socket.close(None).await?;
    Ok(())
}

/// Switches the console to `language` (`en`, `nl`) with its language menu.
pub async fn choose_console_language(client: &Client, language: &str) -> Result<()> {
    js::<bool>(
        client,
        "const select = document.querySelector('.language-choice select');
         select.value = arguments[0];
         select.dispatchEvent(new Event('change', { bubbles: true }));
         return true;",
        serde_json::json!(language),
    )
    .await?;
    Ok(())
}
