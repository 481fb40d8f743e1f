//! beamtalk: the command-line tool and hidden distributed-Erlang node behind live Beamtalk workspaces.

pub mod cli;
pub mod dist;
pub mod home;
pub mod interrupt;
pub mod lsp;
pub use beamtalk_lang as lang;
pub mod memory;
pub mod pki;
pub mod project;
pub mod repl;
pub use beamtalk_term as term;
pub mod workspace;
