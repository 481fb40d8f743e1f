//! The process around a command: signals, allocator, arguments, tracing, the async runtime, exit code.

use super::{exit_code, report, run};

/// Runs the command line of this process and exits with its code.
pub fn start() -> ! {
    ignore_sigpipe();
    quiet_on_closed_stdout();
    grow_stack_limit();
    crate::memory::keep_freed_memory();
    let cli = super::parse::parse();
    init_tracing(cli.global.verbose);
    let json = cli.global.json;
    // A CLI call is short and mostly waits on one socket: a single-threaded runtime starts fastest.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        // Files are parsed and compiled on blocking threads (`load`, `test`): as deep as on this one.
        .thread_stack_size(STACK)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!(
                "{}",
                super::color::error_line(&format!("cannot start the async runtime: {e}"))
            );
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

/// `println!` panics when stdout is a closed pipe (`beamtalk rpc ... | head -1`); like other Unix tools,
/// the process then just ends, with no message (SIGPIPE is ignored so that a closed socket is an error
/// instead of a kill).
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            // SAFETY: _exit ends the process at once, skipping a flush into the closed pipe.
            unsafe { libc::_exit(0) };
        }
        default(info);
    }));
}

/// Room for deep but legal input (see `lang::COMPILER_STACK`): the default 8 MiB is too little. The main
/// thread's stack grows on demand up to this soft limit (the kernel keeps at least 128 MiB free below
/// it), so raising it costs nothing until used.
const STACK: usize = crate::lang::COMPILER_STACK;

fn grow_stack_limit() {
    const WANT: libc::rlim_t = STACK as libc::rlim_t;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit only read and write the struct passed.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_STACK, &mut limit) == 0 && limit.rlim_cur < WANT {
            limit.rlim_cur = WANT.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_STACK, &limit);
        }
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
        // Escape codes only where they are colour: on a terminal, without NO_COLOR.
        .with_ansi(super::color::enabled(super::color::Stream::Stderr))
        .with_timer(tracing_subscriber::fmt::time::uptime())
        .with_env_filter(tracing_subscriber::EnvFilter::new(level))
        .init();
}
