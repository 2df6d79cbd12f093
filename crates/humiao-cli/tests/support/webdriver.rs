//! Minimal blocking W3C WebDriver client for browser tests.
//!
//! Drives Debian's `chromium` through `chromedriver` (packages `chromium` and
//! `chromium-driver`). Only depends on `ureq` 2, `serde_json` and `tempfile`.
//!
//! ```ignore
//! let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: true }) else {
//!     return; // chromium not installed and HUMIAO_REQUIRE_BROWSER is not set
//! };
//! browser.goto(&format!("{base}/login"))?;
//! browser.find("input[name=email]")?.send_keys("a@example.org")?;
//! browser.find("button[type=submit]")?.click()?;
//! browser.wait_for_text("h1", "Welcome", Duration::from_secs(5))?;
//! ```
//!
//! Environment:
//! - `CHROMEDRIVER`: chromedriver binary (default `/usr/bin/chromedriver`, then `$PATH`).
//! - `CHROMIUM`: browser binary (default `/usr/bin/chromium`, then `$PATH`).
//! - `HUMIAO_REQUIRE_BROWSER=1`: a missing browser fails the test instead of skipping it.

use std::env;
use std::fmt;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// W3C web element reference key.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";
/// How long `find`/`click` wait by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);

pub const PHONE_WIDTH: u32 = 390;
pub const PHONE_HEIGHT: u32 = 844;
pub const PHONE_PIXEL_RATIO: f64 = 3.0;
pub const PHONE_USER_AGENT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
     (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Error from the WebDriver harness. `code` is the W3C error code
/// (e.g. `"no such element"`) when the driver reported one. `Debug` prints
/// the plain message so `unwrap()` failures stay readable.
#[derive(Clone)]
pub struct WdError {
    pub code: Option<String>,
    pub message: String,
}

pub type WdResult<T> = Result<T, WdError>;

impl WdError {
    fn new(message: impl Into<String>) -> Self {
        WdError {
            code: None,
            message: message.into(),
        }
    }

    /// True if the driver reported this W3C error code.
    pub fn is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    fn context(mut self, ctx: impl fmt::Display) -> Self {
        self.message = format!("{ctx}: {}", self.message);
        self
    }
}

impl fmt::Display for WdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for WdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WdError {}

// ---------------------------------------------------------------------------
// Availability / skipping
// ---------------------------------------------------------------------------

/// Locations of the browser and its driver.
#[derive(Debug, Clone)]
pub struct BrowserPaths {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl BrowserPaths {
    /// Finds chromium and chromedriver (env override, Debian path, `$PATH`).
    pub fn detect() -> Result<BrowserPaths, String> {
        let chromium = locate(
            "CHROMIUM",
            "/usr/bin/chromium",
            &["chromium", "chromium-browser"],
        );
        let chromedriver = locate("CHROMEDRIVER", "/usr/bin/chromedriver", &["chromedriver"]);
        match (chromium, chromedriver) {
            (Ok(chromium), Ok(chromedriver)) => Ok(BrowserPaths {
                chromium,
                chromedriver,
            }),
            (Err(a), Err(b)) => Err(format!("{a}; {b}")),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    }
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

fn locate(env_var: &str, default: &str, names: &[&str]) -> Result<PathBuf, String> {
    if let Some(value) = env::var_os(env_var).filter(|v| !v.is_empty()) {
        let path = PathBuf::from(value);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(format!(
                "{env_var}={} is not an executable file",
                path.display()
            ))
        };
    }
    let default = PathBuf::from(default);
    if is_executable(&default) {
        return Ok(default);
    }
    if let Some(path_var) = env::var_os("PATH") {
        for dir in env::split_paths(&path_var) {
            for name in names {
                let candidate = dir.join(name);
                if is_executable(&candidate) {
                    return Ok(candidate);
                }
            }
        }
    }
    Err(format!(
        "{} not found (looked at {} and $PATH; set {env_var} to override)",
        names[0],
        default.display()
    ))
}

fn env_flag(name: &str) -> bool {
    matches!(
        env::var(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref(),
        Ok("1" | "true" | "yes")
    )
}

/// True if both chromium and chromedriver can be found.
pub fn browser_available() -> bool {
    BrowserPaths::detect().is_ok()
}

/// Returns the browser paths, or `None` (after printing a loud SKIPPED line)
/// when they are missing. Panics instead when `HUMIAO_REQUIRE_BROWSER=1`.
pub fn require_browser_or_skip() -> Option<BrowserPaths> {
    match BrowserPaths::detect() {
        Ok(paths) => Some(paths),
        Err(why) => {
            if env_flag("HUMIAO_REQUIRE_BROWSER") {
                panic!(
                    "HUMIAO_REQUIRE_BROWSER=1 but the browser is unavailable: {why}. \
                     Install it with `apt-get install chromium chromium-driver`."
                );
            }
            eprintln!(
                "\n==================================================================\n\
                 SKIPPED: chromium not installed ({why})\n\
                 Install `chromium chromium-driver` or set HUMIAO_REQUIRE_BROWSER=1 to fail.\n\
                 =================================================================="
            );
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Browser
// ---------------------------------------------------------------------------

/// How to start the browser.
#[derive(Debug, Clone, Copy, Default)]
pub struct BrowserOptions {
    /// Emulate a phone (390x844 @3x, touch, mobile user agent).
    pub phone: bool,
}

/// The chromedriver child process; killed on drop.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless chromium session driven through chromedriver.
pub struct Browser {
    agent: ureq::Agent,
    base: String,
    session: String,
    /// Timeout used by `find` and `click`.
    pub timeout: Duration,
    // Field order matters: the driver is killed before the profile is deleted.
    driver: Driver,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Spawns chromedriver on a free port and opens a new headless session.
    pub fn start(opts: BrowserOptions) -> WdResult<Browser> {
        let paths = BrowserPaths::detect().map_err(WdError::new)?;
        Browser::start_with(&paths, opts)
    }

    /// Like [`Browser::start`], but returns `None` when the browser is not
    /// installed (see [`require_browser_or_skip`]). Panics if it is installed
    /// but fails to start.
    pub fn start_or_skip(opts: BrowserOptions) -> Option<Browser> {
        let paths = require_browser_or_skip()?;
        match Browser::start_with(&paths, opts) {
            Ok(browser) => Some(browser),
            Err(e) => panic!("failed to start chromium via chromedriver: {e}"),
        }
    }

    pub fn start_with(paths: &BrowserPaths, opts: BrowserOptions) -> WdResult<Browser> {
        let profile = tempfile::Builder::new()
            .prefix("humiao-chromium-")
            .tempdir()
            .map_err(|e| WdError::new(format!("cannot create temp profile dir: {e}")))?;
        let log_path = profile.path().join("chromedriver.log");
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout(Duration::from_secs(90))
            .build();

        // The free port may be taken between probing and binding: retry.
        let mut last_err = WdError::new("chromedriver did not start");
        let mut started = None;
        for _ in 0..3 {
            let port = free_port()?;
            let child = Command::new(&paths.chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log_path.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| {
                    WdError::new(format!(
                        "cannot spawn {}: {e}",
                        paths.chromedriver.display()
                    ))
                })?;
            let mut driver = Driver { child };
            let base = format!("http://127.0.0.1:{port}");
            match wait_ready(&agent, &base, &mut driver, Duration::from_secs(20)) {
                Ok(()) => {
                    started = Some((driver, base));
                    break;
                }
                Err(e) => last_err = e,
            }
        }
        let Some((driver, base)) = started else {
            last_err.message = format!("{}\n{}", last_err.message, log_tail(&log_path));
            return Err(last_err);
        };

        let user_data_dir = profile.path().join("user-data");
        let mut args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--user-data-dir={}", user_data_dir.display()),
        ];
        let mut chrome_options = json!({
            "binary": paths.chromium.to_string_lossy(),
        });
        if opts.phone {
            chrome_options["mobileEmulation"] = json!({
                "deviceMetrics": {
                    "width": PHONE_WIDTH,
                    "height": PHONE_HEIGHT,
                    "pixelRatio": PHONE_PIXEL_RATIO,
                    "touch": true,
                    "mobile": true,
                },
                "userAgent": PHONE_USER_AGENT,
            });
        } else {
            args.push("--window-size=1280,900".into());
        }
        chrome_options["args"] = json!(args);
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "pageLoadStrategy": "normal",
                    "timeouts": { "pageLoad": 30_000, "script": 30_000 },
                    "goog:chromeOptions": chrome_options,
                }
            }
        });
        let value = call(&agent, "POST", &format!("{base}/session"), Some(caps)).map_err(|e| {
            let msg = format!("creating session: {}\n{}", e.message, log_tail(&log_path));
            WdError { message: msg, ..e }
        })?;
        let session = value["sessionId"]
            .as_str()
            .ok_or_else(|| WdError::new(format!("new session response lacks sessionId: {value}")))?
            .to_string();
        Ok(Browser {
            agent,
            base,
            session,
            timeout: DEFAULT_TIMEOUT,
            driver,
            profile,
        })
    }

    pub fn session_id(&self) -> &str {
        &self.session
    }

    /// Sends a session command, e.g. `cmd("GET", "/url", None)`.
    pub fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> WdResult<Value> {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        call(&self.agent, method, &url, body)
    }

    pub fn goto(&self, url: &str) -> WdResult<()> {
        self.cmd("POST", "/url", Some(json!({ "url": url })))
            .map(drop)
            .map_err(|e| e.context(format!("goto {url}")))
    }

    pub fn current_url(&self) -> WdResult<String> {
        Ok(as_string(self.cmd("GET", "/url", None)?))
    }

    pub fn title(&self) -> WdResult<String> {
        Ok(as_string(self.cmd("GET", "/title", None)?))
    }

    pub fn page_source(&self) -> WdResult<String> {
        Ok(as_string(self.cmd("GET", "/source", None)?))
    }

    /// Runs `js` as a function body (use `return ...`; `arguments[i]` are the
    /// args; `Element::to_arg()` passes elements). Promises are awaited.
    pub fn execute(&self, js: &str, args: &[Value]) -> WdResult<Value> {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({ "script": js, "args": args })),
        )
    }

    /// Polls `f` until it returns `Some`; an `Err` from `f` aborts at once.
    /// After `timeout` fails with an error naming `what` and the page.
    pub fn wait_until<T>(
        &self,
        timeout: Duration,
        what: &str,
        mut f: impl FnMut() -> WdResult<Option<T>>,
    ) -> WdResult<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(v) = f()? {
                return Ok(v);
            }
            if Instant::now() >= deadline {
                return Err(WdError {
                    code: Some("timeout".into()),
                    message: format!(
                        "timed out after {:.1}s waiting for {what}; {}",
                        timeout.as_secs_f64(),
                        self.page_context()
                    ),
                });
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// First element matching `css`, waiting up to `self.timeout` for it.
    pub fn find(&self, css: &str) -> WdResult<Element<'_>> {
        self.find_within(css, self.timeout)
    }

    pub fn find_within(&self, css: &str, timeout: Duration) -> WdResult<Element<'_>> {
        self.wait_until(timeout, &format!("element `{css}`"), || {
            match self.find_now(css) {
                Ok(el) => Ok(Some(el)),
                Err(e) if e.is("no such element") => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    /// First element matching `css` right now, without waiting.
    pub fn find_now(&self, css: &str) -> WdResult<Element<'_>> {
        let v = self.cmd("POST", "/element", Some(by_css(css)))?;
        self.element(css, &v)
    }

    /// All elements matching `css` right now (possibly none; no waiting).
    pub fn find_all(&self, css: &str) -> WdResult<Vec<Element<'_>>> {
        let v = self.cmd("POST", "/elements", Some(by_css(css)))?;
        let items = v
            .as_array()
            .ok_or_else(|| WdError::new(format!("find_all `{css}`: unexpected response {v}")))?;
        items.iter().map(|item| self.element(css, item)).collect()
    }

    fn element(&self, css: &str, v: &Value) -> WdResult<Element<'_>> {
        let id = v[ELEMENT_KEY]
            .as_str()
            .ok_or_else(|| WdError::new(format!("`{css}`: not an element reference: {v}")))?;
        Ok(Element {
            browser: self,
            id: id.to_string(),
            selector: css.to_string(),
        })
    }

    /// Waits until an element matching `css` has text containing `text`.
    pub fn wait_for_text(&self, css: &str, text: &str, timeout: Duration) -> WdResult<Element<'_>> {
        let mut seen: Vec<String> = Vec::new();
        let result = self.wait_until(timeout, &format!("`{css}` to contain {text:?}"), || {
            seen.clear();
            for el in self.find_all(css)? {
                let Ok(t) = el.text() else { continue };
                if t.contains(text) {
                    return Ok(Some(el));
                }
                seen.push(t);
            }
            Ok(None)
        });
        result.map_err(|mut e| {
            if e.is("timeout") {
                let seen = truncate(&seen.join(" | "), 300);
                e.message = format!("{}; matching elements' texts: {seen:?}", e.message);
            }
            e
        })
    }

    /// PNG screenshot of the viewport.
    pub fn screenshot_png(&self) -> WdResult<Vec<u8>> {
        let v = self.cmd("GET", "/screenshot", None)?;
        let b64 = v
            .as_str()
            .ok_or_else(|| WdError::new("screenshot: response is not a string"))?;
        base64_decode(b64).ok_or_else(|| WdError::new("screenshot: invalid base64"))
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver.
    pub fn cdp(&self, cmd: &str, params: Value) -> WdResult<Value> {
        self.cmd(
            "POST",
            "/goog/cdp/execute",
            Some(json!({ "cmd": cmd, "params": params })),
        )
        .map_err(|e| e.context(format!("CDP {cmd}")))
    }

    /// Grants the geolocation permission and overrides the reported position.
    pub fn set_geolocation(&self, latitude: f64, longitude: f64, accuracy: f64) -> WdResult<()> {
        if let Err(cdp_err) = self.cdp(
            "Browser.grantPermissions",
            json!({ "permissions": ["geolocation"] }),
        ) {
            // Fall back to the W3C permissions extension.
            self.cmd(
                "POST",
                "/permissions",
                Some(json!({ "descriptor": { "name": "geolocation" }, "state": "granted" })),
            )
            .map_err(|e| e.context(format!("granting geolocation (CDP failed: {cdp_err})")))?;
        }
        self.cdp(
            "Emulation.setGeolocationOverride",
            json!({ "latitude": latitude, "longitude": longitude, "accuracy": accuracy }),
        )
        .map(drop)
    }

    /// Writes `<name>.png` and `<name>.html` into `dir` (best effort), for
    /// debugging failed tests.
    pub fn dump(&self, dir: &Path, name: &str) {
        if let Ok(png) = self.screenshot_png() {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
        if let Ok(html) = self.page_source() {
            let _ = std::fs::write(dir.join(format!("{name}.html")), html);
        }
    }

    /// Temporary directory holding the browser profile and chromedriver log.
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// Best-effort description of the current page for error messages.
    fn page_context(&self) -> String {
        let url = self
            .current_url()
            .unwrap_or_else(|e| format!("<unknown: {e}>"));
        let body = self
            .execute("return document.body ? document.body.innerText : ''", &[])
            .map(as_string)
            .unwrap_or_default();
        format!(
            "page URL: {url}; page text: {:?}",
            truncate(body.trim(), 300)
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let url = format!("{}/session/{}", self.base, self.session);
        let _ = self
            .agent
            .request("DELETE", &url)
            .timeout(Duration::from_secs(10))
            .call();
        // Then the fields drop: `driver` kills chromedriver, `profile` is removed.
    }
}

// ---------------------------------------------------------------------------
// Element
// ---------------------------------------------------------------------------

/// A DOM element found by a CSS selector.
pub struct Element<'b> {
    browser: &'b Browser,
    id: String,
    selector: String,
}

impl Element<'_> {
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// JSON reference for passing this element to `Browser::execute`.
    pub fn to_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    fn cmd(&self, method: &str, suffix: &str, body: Option<Value>) -> WdResult<Value> {
        self.browser
            .cmd(method, &format!("/element/{}{suffix}", self.id), body)
            .map_err(|e| e.context(format!("element `{}`", self.selector)))
    }

    /// Clicks, retrying while the element is not yet interactable.
    pub fn click(&self) -> WdResult<()> {
        let mut last: Option<WdError> = None;
        let what = format!("`{}` to be clickable", self.selector);
        self.browser
            .wait_until(self.browser.timeout, &what, || {
                match self.cmd("POST", "/click", Some(json!({}))) {
                    Ok(_) => Ok(Some(())),
                    Err(e)
                        if e.is("element not interactable")
                            || e.is("element click intercepted") =>
                    {
                        last = Some(e);
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            })
            .map_err(|e| match last {
                Some(last) if e.is("timeout") => WdError {
                    message: format!("{}; last error: {}", e.message, last.message),
                    code: e.code,
                },
                _ => e,
            })
    }

    /// Types `text`; for `<input type=file>` pass an absolute file path.
    pub fn send_keys(&self, text: &str) -> WdResult<()> {
        self.cmd("POST", "/value", Some(json!({ "text": text })))
            .map(drop)
    }

    pub fn clear(&self) -> WdResult<()> {
        self.cmd("POST", "/clear", Some(json!({}))).map(drop)
    }

    /// Rendered (visible) text.
    pub fn text(&self) -> WdResult<String> {
        Ok(as_string(self.cmd("GET", "/text", None)?))
    }

    /// Attribute value, `None` when absent.
    pub fn attr(&self, name: &str) -> WdResult<Option<String>> {
        let v = self.cmd("GET", &format!("/attribute/{name}"), None)?;
        Ok(match v {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }

    /// DOM property (e.g. `value`, `checked`).
    pub fn prop(&self, name: &str) -> WdResult<Value> {
        self.cmd("GET", &format!("/property/{name}"), None)
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn by_css(css: &str) -> Value {
    json!({ "using": "css selector", "value": css })
}

fn as_string(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max_chars).collect();
        t.push('…');
        t
    }
}

fn free_port() -> WdResult<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| WdError::new(format!("cannot find a free port: {e}")))
}

fn wait_ready(
    agent: &ureq::Agent,
    base: &str,
    driver: &mut Driver,
    timeout: Duration,
) -> WdResult<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = driver.child.try_wait() {
            return Err(WdError::new(format!(
                "chromedriver exited early ({status})"
            )));
        }
        let ready = agent
            .get(&format!("{base}/status"))
            .timeout(Duration::from_secs(2))
            .call()
            .ok()
            .and_then(|r| r.into_json::<Value>().ok())
            .is_some_and(|v| v["value"]["ready"].as_bool().unwrap_or(false));
        if ready {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(WdError::new(format!(
                "chromedriver at {base} not ready after {}s",
                timeout.as_secs()
            )));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(25);
    format!(
        "chromedriver log tail ({}):\n{}",
        path.display(),
        lines[start..].join("\n")
    )
}

/// Performs a WebDriver HTTP call and returns the response's `value`.
fn call(agent: &ureq::Agent, method: &str, url: &str, body: Option<Value>) -> WdResult<Value> {
    let req = agent.request(method, url);
    let result = match body {
        Some(body) => req.send_json(body),
        None => req.call(),
    };
    match result {
        Ok(resp) => {
            let mut v: Value = resp
                .into_json()
                .map_err(|e| WdError::new(format!("{method} {url}: bad JSON response: {e}")))?;
            Ok(v["value"].take())
        }
        Err(ureq::Error::Status(status, resp)) => {
            let text = resp.into_string().unwrap_or_default();
            let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = parsed["value"]["error"].as_str().map(str::to_string);
            let message = parsed["value"]["message"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| truncate(&text, 500));
            // chromedriver messages usually start with the error code already.
            let message = match code.as_deref() {
                Some(c) if !message.starts_with(c) => format!("{c}: {message}"),
                _ => message,
            };
            Err(WdError {
                message: format!("{method} {}: HTTP {status}: {message}", short(url)),
                code,
            })
        }
        Err(e) => Err(WdError::new(format!("{method} {url}: {e}"))),
    }
}

/// `http://host:port/session/<id>/x` -> `/x`, for shorter error messages.
fn short(url: &str) -> &str {
    let path = url
        .splitn(4, '/')
        .nth(3)
        .map_or(url, |p| &url[url.len() - p.len() - 1..]);
    match path
        .strip_prefix("/session/")
        .and_then(|r| r.find('/').map(|i| &r[i..]))
    {
        Some(rest) => rest,
        None => path,
    }
}

fn base64_decode(input: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input.as_bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}
