//! Colour for the prefixes users scan for (`error:`, `warning:`, Beamtalk's `ERROR:`): only when the
//! stream is a terminal, and never with `NO_COLOR` set (<https://no-color.org>).

use std::io::IsTerminal;

/// Which stream a text goes to.
#[derive(Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Whether text written to `stream` may carry colour.
pub fn enabled(stream: Stream) -> bool {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let tty = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    tty && !no_color
}

/// `text` in bold red when `stream` may carry colour.
pub fn red(text: &str, stream: Stream) -> String {
    paint(text, "1;31", stream)
}

/// `text` in bold yellow when `stream` may carry colour.
pub fn yellow(text: &str, stream: Stream) -> String {
    paint(text, "1;33", stream)
}

fn paint(text: &str, code: &str, stream: Stream) -> String {
    match enabled(stream) {
        true => format!("\x1b[{code}m{text}\x1b[0m"),
        false => text.to_owned(),
    }
}

/// A Beamtalk result line: its `ERROR:` prefix in red when `stream` may carry colour.
pub fn beamtalk_error(line: &str, stream: Stream) -> String {
    match line.strip_prefix("ERROR:") {
        Some(rest) => format!("{}{rest}", red("ERROR:", stream)),
        None => line.to_owned(),
    }
}

/// `error: message` for stderr.
pub fn error_line(message: &str) -> String {
    format!("{} {message}", red("error:", Stream::Stderr))
}

/// `warning: message` for stderr.
pub fn warning_line(message: &str) -> String {
    format!("{} {message}", yellow("warning:", Stream::Stderr))
}
