//! `beamtalk nodes`: what EPMD on a host has registered.

use serde_json::json;

use super::{Failure, Global};
use crate::dist::epmd::{Epmd, port_from_env};

#[derive(Debug, clap::Args)]
pub struct NodesArgs {
    /// Host whose EPMD to ask.
    #[arg(long, default_value = "localhost")]
    host: String,
}

pub async fn run(global: &Global, args: NodesArgs) -> Result<(), Failure> {
    let epmd = Epmd::new(&args.host, port_from_env(), global.timeout);
    let mut names = epmd.names().await?;
    names.sort();
    if global.json {
        let nodes: Vec<_> = names
            .iter()
            .map(|(n, p)| json!({"name": n, "port": p}))
            .collect();
        println!("{}", json!({"host": args.host, "nodes": nodes}));
    } else {
        for (name, port) in names {
            println!("{name}\t{port}");
        }
    }
    Ok(())
}
