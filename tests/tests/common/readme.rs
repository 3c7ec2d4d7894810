//! The README's runnable examples, as the tests that execute them read them.

/// The `sh` blocks of README.md that follow a `<!-- readme-test: NAME -->` line, in order.
pub fn readme_blocks(name: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let marker = format!("<!-- readme-test: {name} -->");
    let mut lines = readme.lines();
    let mut blocks = vec![];
    while let Some(line) = lines.next() {
        if line.trim() != marker {
            continue;
        }
        assert_eq!(
            lines.next().map(str::trim),
            Some("```sh"),
            "{marker} must be followed by a ```sh block"
        );
        let body: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
        blocks.push(body.join("\n"));
    }
    assert!(!blocks.is_empty(), "README.md has no block marked {marker}");
    blocks
}

/// Runs the README blocks `names` (the walk-through's set-up block first) as one `sh -eu`
/// script in `dir` against `hub` with its key, extra `env` on top, within `limit`; its stdout,
/// after asserting it succeeded.
pub async fn run_readme(
    names: &[&str],
    dir: &std::path::Path,
    hub: &super::Hub,
    key: &str,
    env: &[(&str, String)],
    limit: std::time::Duration,
) -> String {
    let mut script = readme_blocks("walkthrough")[0].clone();
    for b in names.iter().flat_map(|n| readme_blocks(n)) {
        script.push('\n');
        script.push_str(&b);
    }
    let mut cmd = tokio::process::Command::new("sh");
    cmd.args(["-euc", &script])
        .current_dir(dir)
        .env("KEY", key)
        .env("HUB", &hub.base)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .expect("the example finishes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// `run_readme` in a fresh directory with the built `shiphub` first on the `PATH` and the hub's
/// database as `DATABASE_URL`, as the README's CLI examples expect, within 60 s.
pub async fn run_readme_with_cli(names: &[&str], hub: &super::Hub, key: &str) -> String {
    let work = tempfile::tempdir().unwrap();
    let bin_dir = super::binary().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    run_readme(
        names,
        work.path(),
        hub,
        key,
        &[("PATH", path), ("DATABASE_URL", hub.db_url.clone())],
        std::time::Duration::from_secs(60),
    )
    .await
}
