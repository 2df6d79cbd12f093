//! Running the real `humiao` binary from tests.

use std::path::Path;
use std::process::{Command, Output};

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
