//! The Beamtalk language, as a pipeline of passes, each its own module:
//! `lexer` (text → tokens) → `layout` (newlines that end statements) → `parser` (tokens → `ast`) →
//! `resolve` (scopes, cells, inlined blocks, undefined names) → `analyse` (what each expression assigns,
//! reads and holds) → `lower` (→ Erlang abstract format, built with `forms`) → `module` (a class → one
//! Erlang module). `compile` is the entry point its users call; `lint` finds what is worth a warning.

pub mod abi;
pub mod analyse;
pub mod ast;
pub mod compile;
pub mod diagnostic;
pub mod format;
pub mod forms;
pub mod ide;
pub mod layout;
pub mod lexer;
pub mod lift;
pub mod lint;
pub mod lower;
pub mod module;
pub mod parser;
pub mod resolve;

/// The stack a thread running the compiler needs for a source nested as deep as the parser allows
/// (`parser::MAX_DEPTH` levels, which every pass recurses through; debug builds take far more stack
/// per level than release ones).
pub const COMPILER_STACK: usize = 64 * 1024 * 1024;
