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
