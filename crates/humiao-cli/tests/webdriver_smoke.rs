//! Smoke test for the WebDriver harness in `tests/support/webdriver.rs`:
//! drives headless chromium on a phone viewport against a tiny hand-written
//! HTTP server (typing, file upload, geolocation, form submit).

mod support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use support::webdriver::{Browser, BrowserOptions, PHONE_WIDTH};

/// A valid 1x1 transparent PNG.
const TINY_PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

const FORM_PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>webdriver smoke</title></head>
<body>
<form id="f" method="post" action="/submit" enctype="multipart/form-data">
  <input id="name" name="name" type="text">
  <input id="photo" name="photo" type="file" accept="image/*">
  <input id="coords" name="coords" type="hidden">
  <button id="locate" type="button">Use my location</button>
  <span id="pos"></span>
  <button id="send" type="submit">Send</button>
</form>
<script>
document.getElementById('locate').addEventListener('click', function () {
  navigator.geolocation.getCurrentPosition(function (p) {
    var s = p.coords.latitude.toFixed(5) + ',' + p.coords.longitude.toFixed(5);
    document.getElementById('coords').value = s;
    document.getElementById('pos').textContent = s;
  }, function (e) {
    document.getElementById('pos').textContent = 'error: ' + e.message;
  }, { timeout: 5000 });
});
</script>
</body></html>"#;

const DONE_PAGE: &str = "<!doctype html><html><body><h1 id=\"done\">received</h1></body></html>";

/// A request captured by the test server.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    body: Vec<u8>,
}

/// Minimal HTTP/1.1 server: `GET /` serves the form, `POST /submit` records
/// the request. One thread per connection (browsers open idle speculative
/// connections), `Connection: close` on every response.
struct TestServer {
    base: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl TestServer {
    fn start() -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind test server");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&received);
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                thread::spawn(move || {
                    let _ = handle(stream, &log);
                });
            }
        });
        TestServer { base, received }
    }

    fn posts(&self) -> Vec<Received> {
        let all = self.received.lock().unwrap();
        all.iter().filter(|r| r.method == "POST").cloned().collect()
    }
}

fn handle(mut stream: TcpStream, log: &Mutex<Vec<Received>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(()); // idle/preconnect socket closed
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut request_line = head.lines().next().unwrap_or_default().split_whitespace();
    let method = request_line.next().unwrap_or_default().to_string();
    let path = request_line.next().unwrap_or_default().to_string();
    let content_length = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buf[header_end..].to_vec();
    while body.len() < content_length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }

    let (status, content) = match (method.as_str(), path.as_str()) {
        ("GET", "/") => ("200 OK", FORM_PAGE),
        ("POST", "/submit") => ("200 OK", DONE_PAGE),
        _ => ("404 Not Found", "not found"),
    };
    log.lock().unwrap().push(Received { method, path, body });
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{content}",
        content.len()
    )?;
    stream.flush()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn phone_form_with_file_upload_and_geolocation() {
    let started = Instant::now();
    let Some(browser) = Browser::start_or_skip(BrowserOptions { phone: true }) else {
        return;
    };
    let server = TestServer::start();
    let dir = tempfile::tempdir().unwrap();
    let png_path = dir.path().join("tiny.png");
    std::fs::write(&png_path, TINY_PNG).unwrap();

    browser.goto(&format!("{}/", server.base)).unwrap();
    assert_eq!(browser.title().unwrap(), "webdriver smoke");

    // Phone emulation is in effect.
    let env = browser
        .execute(
            "return [window.innerWidth, navigator.userAgent, matchMedia('(pointer: coarse)').matches]",
            &[],
        )
        .unwrap();
    assert_eq!(env[0], PHONE_WIDTH, "viewport width: {env}");
    assert!(env[1].as_str().unwrap().contains("Mobile"), "UA: {env}");
    assert_eq!(env[2], true, "coarse pointer: {env}");

    // Text input and file input.
    let name = browser.find("#name").unwrap();
    name.send_keys("Ada Lovelace").unwrap();
    assert_eq!(name.prop("value").unwrap(), "Ada Lovelace");
    assert_eq!(name.attr("name").unwrap().as_deref(), Some("name"));
    assert_eq!(name.attr("data-missing").unwrap(), None);
    let photo = browser.find("input[type=file]").unwrap();
    photo.send_keys(png_path.to_str().unwrap()).unwrap();
    let picked = browser
        .execute("return arguments[0].files[0].name", &[photo.to_arg()])
        .unwrap();
    assert_eq!(picked, "tiny.png");
    assert_eq!(browser.find_all("form input").unwrap().len(), 3);
    assert!(browser.find_all(".does-not-exist").unwrap().is_empty());

    // Geolocation override.
    browser.set_geolocation(31.2304, 121.4737, 12.0).unwrap();
    browser.find("#locate").unwrap().click().unwrap();
    let pos = browser
        .wait_for_text("#pos", "31.23040,121.47370", Duration::from_secs(5))
        .unwrap();
    assert_eq!(pos.text().unwrap(), "31.23040,121.47370");
    assert_eq!(
        browser.find("#coords").unwrap().prop("value").unwrap(),
        "31.23040,121.47370"
    );

    let png = browser.screenshot_png().unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "screenshot is a PNG");
    assert!(png.len() > 1000, "screenshot has content");

    // A missing element fails with a message naming the selector and page.
    let err = browser
        .find_within("#no-such-thing", Duration::from_millis(300))
        .err()
        .expect("missing element must fail");
    let msg = err.to_string();
    assert!(msg.contains("#no-such-thing"), "{msg}");
    assert!(msg.contains(&server.base), "{msg}");

    // Submit and check what the server received.
    browser.find("#send").unwrap().click().unwrap();
    browser
        .wait_for_text("#done", "received", Duration::from_secs(10))
        .unwrap();
    assert_eq!(
        browser.current_url().unwrap(),
        format!("{}/submit", server.base)
    );
    assert!(browser.page_source().unwrap().contains("received"));

    let posts = server.posts();
    assert_eq!(posts.len(), 1, "exactly one form post: {posts:?}");
    let post = &posts[0];
    assert_eq!(post.path, "/submit");
    let body = &post.body;
    let shown = String::from_utf8_lossy(body);
    for needle in [
        &b"name=\"name\""[..],
        b"Ada Lovelace",
        b"name=\"photo\"; filename=\"tiny.png\"",
        b"Content-Type: image/png",
        b"name=\"coords\"",
        b"31.23040,121.47370",
        TINY_PNG,
    ] {
        assert!(
            find(body, needle).is_some(),
            "multipart body lacks {:?}:\n{shown}",
            String::from_utf8_lossy(needle)
        );
    }
    eprintln!(
        "webdriver smoke test took {:.1}s",
        started.elapsed().as_secs_f64()
    );
}
