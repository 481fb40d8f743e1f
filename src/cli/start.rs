//! The process around a command: signals, allocator, arguments, tracing, the async runtime, exit code.

use super::{exit_code, report, run};

/// Runs the command line of this process and exits with its code.
pub fn start() -> ! {
    ignore_sigpipe();
    crate::memory::keep_freed_memory();
    let cli = super::parse::parse();
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
    let code = match runtime.block_on(run(cli)) {
        Ok(()) => 0,
        Err(failure) => {
            report(&failure, json);
            exit_code(&failure)
        }
    };
    // Exit with the runtime alive: dropping it would wait for blocking tasks (a stdin reader), and
    // `process::exit` flushes stdout.
    std::process::exit(code)
}

/// As Rust's own start-up does (which the binary skips): a write to a closed socket or pipe reports
/// EPIPE instead of killing the process.
fn ignore_sigpipe() {
    // SAFETY: installs SIG_IGN for SIGPIPE at start-up, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
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
