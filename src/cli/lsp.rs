//! `beamtalk lsp`: the editor server on stdio (see `crate::lsp`).

use super::{Failure, Global};

#[derive(Debug, clap::Args)]
pub struct LspArgs {
    /// Workspace whose classes and bindings to use, and to evaluate in [default: the project's own].
    #[arg(short = 'w', long = "workspace", value_name = "NAME")]
    workspace: Option<String>,
    /// Accepted for editors that pass it; the server always speaks on stdio.
    #[arg(long, hide = true)]
    stdio: bool,
}

pub async fn run(global: &Global, args: LspArgs) -> Result<(), Failure> {
    let opts = crate::lsp::Options {
        home: global.home.clone(),
        cookie_file: global.cookie_file.clone(),
        timeout: global.timeout,
        workspace: args.workspace,
    };
    let handle = tokio::runtime::Handle::current();
    // The protocol loop blocks on stdin; workspace calls made from it run on this runtime.
    let clean = tokio::task::spawn_blocking(move || crate::lsp::serve(handle, opts))
        .await
        .unwrap_or(false);
    match clean {
        true => Ok(()),
        false => Err(Failure::Reported { code: 1 }),
    }
}
