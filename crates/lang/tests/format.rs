//! The formatter over every Beamtalk source of the repository: the standard library, its tests and the
//! examples each format to something that parses to the same tree, and formatting again changes nothing.

use std::path::{Path, PathBuf};

use beamtalk_lang::format::format;

fn sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    for dir in [
        "runtime/apps/beamtalk_stdlib/src",
        "runtime/apps/beamtalk_stdlib/test",
        "examples",
    ] {
        let entries = std::fs::read_dir(root.join(dir)).expect("a source directory");
        files.extend(
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "bt")),
        );
    }
    files.sort();
    files
}

fn strip_spans(debug: String) -> String {
    let mut out = String::new();
    let mut rest = debug.as_str();
    while let Some(at) = rest.find("Span { start: ") {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        rest = &rest[rest.find('}').expect("a span's end") + 1..];
    }
    out + rest
}

#[test]
fn every_source_formats_to_the_same_tree_and_formatting_is_idempotent() {
    let files = sources();
    assert!(files.len() > 40, "found only {} sources", files.len());
    for path in files {
        let src = std::fs::read_to_string(&path).expect("read a source");
        let once = format(&src).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let before = beamtalk_lang::parser::parse(&src).expect("the source parses");
        let after = beamtalk_lang::parser::parse(&once)
            .unwrap_or_else(|d| panic!("{}: {}", path.display(), d.render(&once, "formatted")));
        assert_eq!(
            strip_spans(format!("{before:?}")),
            strip_spans(format!("{after:?}")),
            "{}: formatting changed the tree",
            path.display()
        );
        let twice = format(&once).expect("formatted source formats");
        assert_eq!(
            once,
            twice,
            "{}: a second format changed it",
            path.display()
        );
    }
}
