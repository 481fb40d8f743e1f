//! Untrusted input never panics: random and mutated bytes into the ETF decoder and the frame reader, random
//! text into the term parser and the Beamtalk parser and code generator. Case counts scale with `PROPTEST_CASES` (CI uses the default; a soak run can set
//! it to millions).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use beamtalk::dist::frame;
use beamtalk::term::{etf, parse, print};
use proptest::prelude::*;

/// Counts the bytes live on the current thread, and their peak, so tests can bound what decoding allocates.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to the system allocator unchanged; only thread-local counters are updated,
// and those never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| {
            l.set(l.get() + layout.size());
            let _ = PEAK.try_with(|p| p.set(p.get().max(l.get())));
        });
        // SAFETY: same layout, straight to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get().saturating_sub(layout.size())));
        // SAFETY: the pointer came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes live at once (above what was live before) while `f` runs on this thread.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    PEAK.with(Cell::get).saturating_sub(base)
}

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
    fn decoding_allocates_in_proportion_to_the_input(
        header in proptest::collection::vec(any::<u8>(), 0..16),
        count in any::<u32>(),
        tail in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        // A claimed element count of up to 4 G with little data behind it must not reserve memory for it.
        for tag in [104u8, 105, 108, 109, 116, 107] {
            let mut bytes = vec![131, tag];
            bytes.extend_from_slice(&count.to_be_bytes());
            bytes.extend_from_slice(&header);
            bytes.extend_from_slice(&tail);
            let peak = peak_during(|| {
                let _ = etf::decode(&bytes);
            });
            // Each decoded term is one `Term` (plus vector growth) per input byte at most.
            let per_byte = 4 * std::mem::size_of::<eetf::Term>();
            prop_assert!(peak <= per_byte * bytes.len() + 4096, "tag {tag}: {peak} bytes for a {}-byte input", bytes.len());
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
                    let _ = beamtalk::lang::lower::Lowerer::new(&src, beamtalk::lang::lower::Context::Repl).repl(&stmts);
                }
            }
        }
    }
}

#[test]
fn nested_containers_claiming_huge_counts_reserve_nothing() {
    // 500 nested lists, each claiming 2^31 elements, in a 1 MiB frame of padding.
    let mut bytes = vec![131];
    for _ in 0..500 {
        bytes.extend_from_slice(&[108, 0x7f, 0xff, 0xff, 0xff]);
    }
    bytes.resize(bytes.len() + (1 << 20), 106);
    let peak = peak_during(|| {
        let _ = etf::decode(&bytes);
    });
    assert!(peak < 8 << 20, "decoding reserved {peak} bytes");
}
