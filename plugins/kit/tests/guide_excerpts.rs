//! docs/PLUGINS.md shows the Jitsi example (`examples/jitsi`) in excerpts. Each excerpt names its
//! file on its first line (`// examples/jitsi/src/machine.rs`, `# examples/jitsi/Cargo.toml`) and
//! must be that file's text, verbatim, where it leaves nothing out; a line `// ...` (`# ...`)
//! marks what it leaves out. So the guide never shows code the example does not compile (the
//! example's own build and tests compile it); the guide's other Rust snippets compile as doc
//! tests of this crate (`PluginsGuide` in lib.rs).

use std::path::{Path, PathBuf};

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One fenced block: its info string and its lines.
struct Block {
    info: String,
    lines: Vec<String>,
    at_line: usize,
}

fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<Block> = None;
    for (number, line) in markdown.lines().enumerate() {
        match (&mut open, line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block { info: info.trim().to_owned(), lines: Vec::new(), at_line: number + 1 })
            }
            (Some(_), Some("")) => found.extend(open.take()),
            (Some(block), _) => block.lines.push(line.trim_end().to_owned()),
            (None, None) => {}
        }
    }
    found
}

/// The file an excerpt names, and the comment marker of its language.
fn source_of(block: &Block) -> Option<(&str, &'static str)> {
    let first = block.lines.first()?;
    let (marker, path) =
        if let Some(path) = first.strip_prefix("// ") { ("//", path) } else { ("#", first.strip_prefix("# ")?) };
    path.starts_with("examples/").then_some((path, marker))
}

fn normalized(text: &str) -> String {
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

#[test]
fn every_excerpt_of_the_example_is_its_text() {
    let root = repository();
    let guide = std::fs::read_to_string(root.join("docs/PLUGINS.md")).expect("docs/PLUGINS.md");
    let mut checked = 0;
    for block in blocks(&guide) {
        let Some((path, marker)) = source_of(&block) else {
            assert!(
                !(block.info.starts_with("rust") && block.info.contains("ignore")),
                "docs/PLUGINS.md line {}: an ignored Rust block must be an excerpt naming its file",
                block.at_line
            );
            continue;
        };
        let source = std::fs::read_to_string(root.join(path))
            .unwrap_or_else(|e| panic!("docs/PLUGINS.md line {}: {path}: {e}", block.at_line));
        let source = normalized(&source);
        let elision = format!("{marker} ...");
        for chunk in block.lines[1..].split(|line| line.trim() == elision) {
            let chunk = chunk.join("\n");
            assert!(
                chunk.trim().is_empty() || source.contains(&chunk),
                "docs/PLUGINS.md line {}: this is not in {path} as shown:\n{chunk}",
                block.at_line
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "the guide shows the example in excerpts ({checked} found)");
}

#[test]
fn an_excerpt_that_differs_from_its_file_is_caught() {
    let markdown = "```rust,ignore\n// examples/x.rs\nfn a() {}\n```\n";
    let block = &blocks(markdown)[0];
    assert_eq!(source_of(block), Some(("examples/x.rs", "//")));
    assert!(!normalized("fn a() { }\n").contains(&block.lines[1..].join("\n")));
}
