//! Untrusted input never panics: random and mutated bytes into the ETF decoder and the frame reader, random
//! text into the term parser and the Beamtalk parser and code generator. Case counts scale with `PROPTEST_CASES` (CI uses the default; a soak run can set
//! it to millions).

use beamtalk::dist::frame;
use beamtalk::term::{etf, parse, print};
use proptest::prelude::*;

fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(n)
}

/// Valid encodings to mutate: mutations of real terms reach much deeper into the decoder than noise.
fn seeds() -> Vec<Vec<u8>> {
    [
        "[1,2,3]",
        "{ok, <<\"bin\">>, 3.14, 100000000000000000000}",
        "#{a => [x|y], \"s\" => {}}",
        "[\"str\", 'atom with space', <<1,2:3>>, -5]",
    ]
    .iter()
    .map(|t| etf::encode(&parse::parse(t).expect("seed parses")).expect("seed encodes"))
    .collect()
}

proptest! {
    #![proptest_config(cases(5_000))]

    #[test]
    fn etf_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut with_version = vec![131];
        with_version.extend_from_slice(&bytes);
        let _ = etf::decode(&bytes);
        if let Ok(t) = etf::decode(&with_version) {
            let _ = print::pretty(&t);
        }
    }

    #[test]
    fn mutated_terms_never_panic(seed in 0usize..4, edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8), cut in any::<usize>()) {
        let mut bytes = seeds()[seed].clone();
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        if let Ok(t) = etf::decode(&bytes) {
            let _ = print::pretty(&t);
            let _ = etf::encode(&t);
        }
    }

    #[test]
    fn frame_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let mut body = vec![frame::PASS_THROUGH, 131];
        body.extend_from_slice(&bytes);
        let _ = frame::decode(&bytes);
        let _ = frame::decode(&body);
    }

    #[test]
    fn term_parser_never_panics(text in "\\PC{0,64}") {
        let _ = parse::parse(&text);
    }

    #[test]
    fn term_parser_never_panics_on_term_like_text(text in "[\\[\\]{}#<>\"'$|,.:=/ 0-9a-zA-Z_\\\\-]{0,64}") {
        if let Ok(t) = parse::parse(&text) {
            let printed = print::pretty(&t);
            let reparsed = parse::parse(&printed).expect("printed terms parse");
            prop_assert_eq!(etf::encode(&reparsed).ok(), etf::encode(&t).ok());
        }
    }
}

proptest! {
    #![proptest_config(cases(3_000))]

    #[test]
    fn beamtalk_parser_never_panics(src in "\\PC{0,80}") {
        let _ = beamtalk::lang::parser::parse(&src);
    }

    #[test]
    fn beamtalk_parser_never_panics_on_code_like_text(
        src in "[\\[\\](){}#:=^.;!|\"$'a-zA-Z0-9 +*/<>,\\n-]{0,80}"
    ) {
        if let Ok(items) = beamtalk::lang::parser::parse(&src) {
            for item in items {
                if let beamtalk::lang::ast::Item::Statements(stmts) = item {
                    let _ = beamtalk::lang::codegen::Codegen::new(&src, beamtalk::lang::codegen::Context::Repl).repl(&stmts);
                }
            }
        }
    }
}
