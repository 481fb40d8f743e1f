//! The CLI as a hidden distributed-Erlang node, on tokio.
//!
//! Layers, each its own module: [`node_name`] (names), [`epmd`] (where nodes listen), [`handshake`] (an
//! authenticated socket), [`frame`] (bytes ⇄ control messages, no I/O), [`connection`] (reader and writer
//! tasks, ticks, routing), [`rpc`] (calls multiplexed over a connection) and [`io_server`] (output capture
//! and input for remote code).
//!
//! It is built directly on `erl_dist` (EPMD codec, handshake) rather than on `erl_rpc` 0.4, which measured
//! 89 ms per call here (no `TCP_NODELAY`, frames split across writes, so Nagle and delayed ACKs stack up), has
//! no call timeout, hangs forever on a frozen peer, and drops the connection on any message it does not
//! expect — including the `io_request` that a remote `io:format` sends.

pub mod connection;
pub mod epmd;
pub mod frame;
mod frame_reader;
pub mod handshake;
pub mod io_server;
pub mod node_name;
mod repacket;
pub mod rpc;
mod rpc_server;
mod spin;
pub mod tls;
pub mod transport;

pub use connection::{ConnectOptions, Connection, DEFAULT_TICK_TIME, WeakConnection};
pub use handshake::ConnectError;
pub use node_name::NodeName;
pub use rpc::{CallError, Exception};
