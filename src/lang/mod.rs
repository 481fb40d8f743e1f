//! The Beamtalk language: lexer → parser → syntax tree → code generator, each its own module.

pub mod ast;
pub mod codegen;
pub mod diagnostic;
pub mod layout;
pub mod lexer;
pub mod parser;
