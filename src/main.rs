//! The `beamtalk` binary: parse arguments, run the command, exit with its code.

use clap::Parser;

use beamtalk::cli::{Cli, exit_code, report, run};

fn main() {
    beamtalk::memory::keep_freed_memory();
    let cli = Cli::parse();
    init_tracing(cli.global.verbose);
    let json = cli.global.json;
    // A CLI call is short and mostly waits on one socket: a single-threaded runtime starts fastest.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(failure) = runtime.block_on(run(cli)) {
        report(&failure, json);
        std::process::exit(exit_code(&failure));
    }
}

fn init_tracing(verbose: u8) {
    let level = match verbose {
        0 => return,
        1 => "beamtalk=debug",
        _ => "beamtalk=trace",
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .init();
}
