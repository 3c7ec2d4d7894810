//! Shared by the label integration tests: external tools are required under `CI=true` and
//! skipped with a message otherwise.

use std::process::Command;

/// Whether every tool runs; under `CI=true` a missing one fails the test.
pub fn have_tools(tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| Command::new(t).arg("-v").output().is_err())
        .collect();
    if missing.is_empty() {
        return true;
    }
    let hint = "apt-get install --no-install-recommends poppler-utils zbar-tools";
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true and {missing:?} not installed ({hint})");
    }
    eprintln!("SKIPPED: {missing:?} not installed ({hint})");
    false
}
