//! Failures of a command, their exit codes (see README, "Exit codes"), and how they are shown.

use std::io::Write;

use serde_json::json;

use crate::dist::epmd::EpmdError;
use crate::dist::{CallError, ConnectError};
use crate::home::HomeError;
use crate::term::print::pretty;

/// Why a command failed, classified by exit code.
#[derive(Debug)]
pub enum Failure {
    /// 1: the remote side raised or returned an error.
    Remote {
        message: String,
        detail: Option<String>,
    },
    /// 2: bad arguments.
    Usage {
        message: String,
        detail: Option<String>,
    },
    /// 3: cannot reach a node or EPMD.
    Unreachable { message: String, hint: String },
    /// 4: the cookie was rejected.
    Auth { message: String, hint: String },
    /// 5: an operation timed out.
    Timeout { message: String },
    /// 1: anything else (local I/O and the like).
    Other { message: String },
    /// Already shown to the user (as the REPL shows an error); only the exit code is left.
    Reported { code: i32 },
}

/// The process exit code for a failure.
pub fn exit_code(f: &Failure) -> i32 {
    match f {
        Failure::Remote { .. } | Failure::Other { .. } => 1,
        Failure::Reported { code } => *code,
        Failure::Usage { .. } => 2,
        Failure::Unreachable { .. } => 3,
        Failure::Auth { .. } => 4,
        Failure::Timeout { .. } => 5,
    }
}

fn kind(f: &Failure) -> &'static str {
    match f {
        Failure::Remote { .. } => "remote",
        Failure::Usage { .. } => "usage",
        Failure::Unreachable { .. } => "unreachable",
        Failure::Auth { .. } => "auth",
        Failure::Timeout { .. } => "timeout",
        Failure::Other { .. } | Failure::Reported { .. } => "error",
    }
}

impl Failure {
    fn message(&self) -> &str {
        match self {
            Failure::Remote { message, .. }
            | Failure::Usage { message, .. }
            | Failure::Unreachable { message, .. }
            | Failure::Auth { message, .. }
            | Failure::Timeout { message }
            | Failure::Other { message } => message,
            Failure::Reported { .. } => "",
        }
    }

    fn extra(&self) -> Option<&str> {
        match self {
            Failure::Remote { detail, .. } | Failure::Usage { detail, .. } => detail.as_deref(),
            Failure::Unreachable { hint, .. } | Failure::Auth { hint, .. } => Some(hint),
            _ => None,
        }
    }
}

/// A failure as the `error` object of a JSON document: its kind, message and detail.
pub fn json_error(f: &Failure) -> serde_json::Value {
    let mut error = json!({"kind": kind(f), "message": f.message()});
    if let Some(extra) = f.extra() {
        error["detail"] = json!(extra);
    }
    error
}

/// The failure as one line of text (its message, then its detail on the lines after).
pub fn text(f: &Failure) -> String {
    match f.extra() {
        Some(extra) => format!("{}\n{extra}", f.message()),
        None => f.message().to_owned(),
    }
}

/// Shows a failure: JSON on stdout with `--json`, else text on stderr.
pub fn report(f: &Failure, json: bool) {
    if let Failure::Reported { .. } = f {
        return;
    }
    if json {
        println!("{}", json!({ "error": json_error(f) }));
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", super::color::error_line(f.message()));
    if let Some(extra) = f.extra() {
        let _ = writeln!(err, "{extra}");
    }
}

impl Failure {
    /// A source error (exit 2): its message, with the rest of its rendered report (the location and
    /// caret lines) as the detail.
    pub fn from_report(message: String, report: &str) -> Self {
        let detail = report
            .split_once('\n')
            .map_or("", |(_, rest)| rest)
            .trim_end()
            .to_owned();
        Failure::Usage {
            message,
            detail: Some(detail),
        }
    }
}

impl From<HomeError> for Failure {
    fn from(e: HomeError) -> Self {
        match e {
            HomeError::Permissions { .. } | HomeError::Empty { .. } => Failure::Auth {
                message: e.to_string(),
                hint: "the cookie file must be private (mode 0600) and non-empty".to_owned(),
            },
            HomeError::Invalid { .. } => Failure::Auth {
                message: e.to_string(),
                hint: "a cookie like the generated ones (40 letters) works everywhere".to_owned(),
            },
            other => Failure::Other {
                message: other.to_string(),
            },
        }
    }
}

impl From<EpmdError> for Failure {
    fn from(e: EpmdError) -> Self {
        // A limit too short for anything to answer in (`--timeout 1ns`) is the limit's, not EPMD's.
        if let EpmdError::Timeout { after, .. } = &e
            && *after < crate::dist::handshake::TELLING_TIMEOUT
        {
            return Failure::Timeout {
                message: format!("{e}; hint: raise --timeout, too short for any node to answer in"),
            };
        }
        let hint = match &e {
            EpmdError::HostUnknown { .. } => {
                "hint: check the host name, or use an IP address".to_owned()
            }
            EpmdError::Unreachable { host, port, .. } => format!(
                "hint: is a node running on {host}? EPMD starts with the first node there (`epmd -daemon` starts it alone); check that port {port} is reachable"
            ),
            EpmdError::Timeout { .. } => {
                "hint: a firewall may be dropping packets to the EPMD port".to_owned()
            }
            EpmdError::Protocol { .. } => {
                "hint: something other than EPMD is listening on that port".to_owned()
            }
        };
        Failure::Unreachable {
            message: e.to_string(),
            hint,
        }
    }
}

impl From<ConnectError> for Failure {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Epmd(e) => e.into(),
            ConnectError::Auth { .. } => Failure::Auth {
                message: e.to_string(),
                hint: "hint: the node must use the same cookie; pass --cookie-file (or BEAMTALK_COOKIE_FILE) for the node's cookie".to_owned(),
            },
            ConnectError::Timeout { .. } => Failure::Timeout {
                message: format!("{e}; hint: raise --timeout if the node is busy"),
            },
            ConnectError::TlsRefused { .. } => Failure::Auth {
                message: e.to_string(),
                hint: "hint: both ends must hold certificates from the same CA (`beamtalk tls init`), and the node's must name the host you connect to (`tls init --san HOST`)".to_owned(),
            },
            ConnectError::Tls { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint: "hint: if the node uses plain TCP distribution, connect without --tls".to_owned(),
            },
            ConnectError::PlainRefused { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint: "hint: if the node uses TLS distribution (`-proto_dist inet_tls`), pass --tls".to_owned(),
            },
            ConnectError::NotRegistered { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint: "hint: check the node name (`beamtalk nodes --host HOST` lists what is registered)".to_owned(),
            },
            other => Failure::Unreachable {
                message: other.to_string(),
                hint: "hint: check that the node is running and its distribution port is reachable".to_owned(),
            },
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        match e {
            CallError::Exception(x) => Failure::Remote {
                message: format!("remote call raised {}: {}", x.class, pretty(&x.reason)),
                detail: stack_text(&x.stacktrace),
            },
            CallError::NodeDown { .. } => Failure::Unreachable {
                message: e.to_string(),
                hint:
                    "hint: the node stopped or the network dropped; check that it is still running"
                        .to_owned(),
            },
            CallError::Timeout { .. } => Failure::Timeout {
                message: e.to_string(),
            },
            CallError::BadRequest(_) => Failure::Usage {
                message: e.to_string(),
                detail: None,
            },
            CallError::Undecodable { .. } => Failure::Remote {
                message: e.to_string(),
                detail: Some("hint: the call ran; return a smaller or flatter result (for example its printed form, `io_lib:format(\"~p\", [X])`)".to_owned()),
            },
        }
    }
}

fn stack_text(stack: &eetf::Term) -> Option<String> {
    let frames = crate::term::list_elements(stack)?;
    if frames.is_empty() {
        return None;
    }
    let lines: Vec<String> = frames
        .iter()
        .map(|f| format!("  at {}", pretty(f)))
        .collect();
    Some(lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn epmd_timeout(after: Duration) -> EpmdError {
        EpmdError::Timeout {
            host: "vm".into(),
            port: 4369,
            after,
        }
    }

    /// `--timeout 1ns` can run out while EPMD is asked: that is the limit's timeout (5), not an
    /// unreachable EPMD (3); a real limit that EPMD does not answer within is still unreachable.
    #[test]
    fn an_epmd_timeout_on_a_tiny_limit_is_a_timeout() {
        assert_eq!(exit_code(&epmd_timeout(Duration::from_nanos(1)).into()), 5);
        assert_eq!(exit_code(&epmd_timeout(Duration::from_secs(5)).into()), 3);
        assert!(ConnectError::Epmd(epmd_timeout(Duration::from_nanos(1))).timed_out_on_the_limit());
    }
}
