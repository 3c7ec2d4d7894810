//! A contract test whose carrier specs are absent must say "skipped" where `cargo test` shows
//! it (not only `ok`), and must fail under `CI=true`. Checked by running this test binary's
//! own probe test in a child process, as `cargo test` would, with the specs pointed elsewhere.

use std::process::Command;

/// Runs only when the test below asks (`SHIPHUB_SKIP_PROBE`); otherwise it has nothing to do.
#[test]
fn probe_with_absent_specs() {
    if std::env::var_os("SHIPHUB_SKIP_PROBE").is_none() {
        return;
    }
    assert!(shiphub_contracts::shared_carriers_dir().is_none());
}

fn probe(ci: bool) -> (bool, String) {
    let missing = std::env::temp_dir().join("shiphub-no-such-carrier-specs");
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "probe_with_absent_specs"])
        .env("SHIPHUB_SKIP_PROBE", "1")
        .env("SHIPHUB_SHARED_CARRIERS", &missing)
        .env_remove("CI");
    if ci {
        cmd.env("CI", "true");
    }
    let out = cmd.output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), all)
}

#[test]
fn absent_carrier_specs_are_reported_as_skipped_in_the_test_output() {
    let (ok, out) = probe(false);
    assert!(ok, "{out}");
    assert!(
        out.contains("skipped: probe_with_absent_specs: ")
            && out.contains("shiphub-no-such-carrier-specs not found"),
        "the run's output must say which test skipped and why:\n{out}"
    );

    let (ok, out) = probe(true);
    assert!(!ok, "under CI=true absent specs fail the test:\n{out}");
}
