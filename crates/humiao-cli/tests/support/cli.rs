//! Running the real `humiao` binary from tests.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const AS_OF: &str = "2026-11-22";

pub fn humiao(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_humiao"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("HUMIAO_DATABASE_URL")
        .output()
        .expect("the humiao binary runs")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs and insists on success, showing both streams otherwise.
pub fn humiao_ok(data_dir: &Path, args: &[&str]) -> String {
    let output = humiao(data_dir, args);
    assert!(
        output.status.success(),
        "humiao {args:?} failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        output.status.code(),
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// Builds a small demo county (no server) in `data_dir`.
pub fn small_demo(data_dir: &Path, children: usize) -> String {
    humiao_ok(
        data_dir,
        &[
            "demo",
            "--no-serve",
            "--children",
            &children.to_string(),
            "--as-of",
            AS_OF,
        ],
    )
}

/// A `humiao serve` process, stopped when dropped.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serves `data_dir` on a free loopback port with "today" = [`AS_OF`]; returns the base URL
/// once `/healthz` answers.
pub fn serve(data_dir: &std::path::Path) -> (Server, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    serve_at(data_dir, port)
}

/// Serves `data_dir` on this loopback port (e.g. again, after stopping the server to cut a
/// browser off); returns the base URL once `/healthz` answers.
pub fn serve_at(data_dir: &std::path::Path, port: u16) -> (Server, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_humiao"))
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--today",
            AS_OF,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("humiao serve starts");
    let mut server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if ureq::get(&format!("{base}/healthz")).call().is_ok() {
            break;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("humiao serve exited early ({status})");
        }
        assert!(Instant::now() < deadline, "server did not become healthy");
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, base)
}
