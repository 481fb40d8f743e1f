//! `beamtalk tls init`: the CA, node and client certificates for TLS distribution.

use serde_json::json;

use super::{Failure, Global};
use crate::dist::tls::TlsError;
use crate::pki::{self, PkiError};

#[derive(Debug, clap::Subcommand)]
#[command(defer = true)]
pub enum TlsCommand {
    /// Create a CA and node/client certificates under <home>/tls (private keys 0600).
    #[command(
        after_help = "Examples:\n  beamtalk tls init\n  beamtalk tls init --san 10.0.0.5 --san build-box.example\n  beamtalk tls init --force"
    )]
    Init {
        /// Another name or address the node certificate is valid for (repeatable); localhost, loopback
        /// and this host's name are always included.
        #[arg(long = "san", value_name = "NAME")]
        sans: Vec<String>,
        /// Replace existing certificates.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(global: &Global, cmd: TlsCommand) -> Result<(), Failure> {
    let TlsCommand::Init { sans, force } = cmd;
    let home = crate::home::resolve_home(global.home.as_deref())?;
    crate::home::ensure_home(&home)?;
    let issued = pki::init(&home, &sans, force).map_err(|e| match e {
        PkiError::Exists { .. } | PkiError::InvalidName { .. } => Failure::Usage {
            message: e.to_string(),
            detail: None,
        },
        other => Failure::Other {
            message: other.to_string(),
        },
    })?;
    let dir = &issued.dir;
    if global.json {
        println!(
            "{}",
            json!({"dir": dir.dir, "ca": dir.ca(), "node_cert": dir.node_cert(), "client_cert": dir.client_cert(),
                   "ssl_dist_optfile": dir.dist_conf(), "node_names": issued.node_names})
        );
    } else {
        println!("TLS files written to {}", dir.dir.display());
        println!(
            "  node certificate valid for: {}",
            issued.node_names.join(", ")
        );
        println!(
            "  nodes: -proto_dist inet_tls -ssl_dist_optfile {}",
            dir.dist_conf().display()
        );
        println!(
            "  workspaces created with --host (or --tls) use them; `beamtalk --tls rpc ...` too"
        );
    }
    Ok(())
}

/// A TLS configuration problem as a failure: key permissions are an authentication matter (exit 4).
pub fn failure(e: TlsError) -> Failure {
    match e {
        TlsError::Permissions { .. } => Failure::Auth {
            message: e.to_string(),
            hint: "hint: private keys must be readable by their owner only".to_owned(),
        },
        other => Failure::Other {
            message: format!("{other}\nhint: `beamtalk tls init --force` recreates the TLS files"),
        },
    }
}
