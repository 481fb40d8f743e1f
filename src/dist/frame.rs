//! Distribution frames ⇄ control messages, with no I/O.
//!
//! After the handshake every frame is `<u32 length><112><control term>[<payload term>]` (pass-through mode:
//! no atom cache, no fragments — we never advertise them), and a frame of length zero is a tick. This module
//! turns frame bodies into [`Control`] values and back, through the bounded codec in [`crate::term::etf`], so
//! it is the one place untrusted dist bytes are interpreted, and it can be fuzzed on its own.

use eetf::{Atom, FixInteger, Pid, Reference, Term};

use crate::term::etf::{self, DecodeError, EncodeError};
use crate::term::{atom, list, tuple};

/// The pass-through message tag that starts every non-tick frame body.
pub const PASS_THROUGH: u8 = 112;

/// Largest frame accepted from a peer; larger frames end the connection instead of being buffered.
pub const MAX_FRAME_BYTES: usize = 256 << 20;

// Control message operation codes (erl_dist_protocol, "Protocol between connected nodes").
const LINK: i32 = 1;
const SEND: i32 = 2;
const EXIT: i32 = 3;
const REG_SEND: i32 = 6;
const EXIT2: i32 = 8;
const SEND_TT: i32 = 12;
const REG_SEND_TT: i32 = 16;
const MONITOR_P: i32 = 19;
const DEMONITOR_P: i32 = 20;
const MONITOR_P_EXIT: i32 = 21;
const SEND_SENDER: i32 = 22;
const SEND_SENDER_TT: i32 = 23;
const PAYLOAD_EXIT: i32 = 24;
const PAYLOAD_EXIT2: i32 = 26;
const PAYLOAD_MONITOR_P_EXIT: i32 = 28;
const SPAWN_REQUEST: i32 = 29;
const SPAWN_REPLY: i32 = 31;
const SPAWN_REPLY_TT: i32 = 32;
const ALIAS_SEND: i32 = 33;
const ALIAS_SEND_TT: i32 = 34;
const UNLINK_ID: i32 = 35;
const UNLINK_ID_ACK: i32 = 36;

/// The control messages the CLI acts on; anything else is [`Control::Other`] and is ignored, never fatal.
#[derive(Debug, Clone, PartialEq)]
pub enum Control {
    /// A message to one of our pids (SEND, SEND_SENDER, their trace-token forms, and REG_SEND).
    Send {
        to: Option<Pid>,
        to_name: Option<Atom>,
        message: Term,
    },
    /// A monitor we hold fired: `reference` is the spawn request id for RPCs.
    MonitorExit {
        from: Term,
        reference: Reference,
        reason: Term,
    },
    /// A monitor we hold fired, but its reason (the RPC's result) could not be decoded.
    MonitorExitUndecodable {
        reference: Reference,
        error: DecodeError,
    },
    /// The RPC server's reply to call `reference`, whose result could not be decoded.
    ReplyUndecodable {
        reference: Reference,
        error: DecodeError,
    },
    /// Reply to SPAWN_REQUEST: a pid, or an atom naming the error.
    SpawnReply { request: Reference, result: Term },
    /// A peer unlinks from one of our pids; it must be acknowledged.
    UnlinkId { id: Term, from: Pid, to: Pid },
    /// An operation we have no use for (link, monitor of our pids, exit signals, ...).
    Other { op: i32 },
}

/// Why a frame body is not acceptable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("frame does not start with the pass-through tag 112 (found {0})")]
    NotPassThrough(u8),
    #[error("empty frame body")]
    Empty,
    #[error("bad term in frame: {0}")]
    Term(#[from] DecodeError),
    #[error("control message is not a tuple starting with an operation code")]
    BadControl,
    #[error("control message {op} has unexpected fields")]
    BadFields { op: i32 },
    #[error("{count} trailing bytes after the frame's terms")]
    Trailing { count: usize },
}

/// Decodes one frame body (everything after the length prefix of a non-tick frame).
pub fn decode(body: &[u8]) -> Result<Control, FrameError> {
    let (&tag, rest) = body.split_first().ok_or(FrameError::Empty)?;
    if tag != PASS_THROUGH {
        return Err(FrameError::NotPassThrough(tag));
    }
    let mut d = etf::Decoder::new(rest);
    let control = d.versioned()?;
    let payload_at = rest.len() - d.remaining();
    let payload = match d.remaining() {
        0 => None,
        _ => Some(d.versioned()),
    };
    let Term::Tuple(t) = control else {
        return Err(FrameError::BadControl);
    };
    let mut fields = t.elements.into_iter();
    let Some(Term::FixInteger(FixInteger { value: op })) = fields.next() else {
        return Err(FrameError::BadControl);
    };
    let fields: Vec<Term> = fields.collect();
    let payload = match payload {
        Some(Err(error)) => {
            let head = etf::Decoder::new(&rest[payload_at..])
                .versioned_tuple_prefix(2)
                .unwrap_or_default();
            return undecodable_payload(op, &fields, &head, error);
        }
        Some(Ok(p)) => Some(p),
        None => None,
    };
    if d.remaining() > 0 {
        return Err(FrameError::Trailing {
            count: d.remaining(),
        });
    }
    interpret(op, fields, payload).ok_or(FrameError::BadFields { op })
}

/// A frame whose control message decoded but whose payload did not: an RPC's result is failed at once
/// (its caller would otherwise wait for the whole timeout), whether it came as a monitor's exit reason
/// or as the RPC server's `{beamtalk_rpc, Ref, Result}` message (`head`: the payload's first two
/// elements, when it is a tuple); anything else is malformed.
fn undecodable_payload(
    op: i32,
    fields: &[Term],
    head: &[Term],
    error: DecodeError,
) -> Result<Control, FrameError> {
    match (op, fields, head) {
        (PAYLOAD_MONITOR_P_EXIT, [_, _, Term::Reference(r)], _) => {
            Ok(Control::MonitorExitUndecodable {
                reference: (**r).clone(),
                error,
            })
        }
        (
            SEND | SEND_TT | SEND_SENDER | SEND_SENDER_TT,
            [_, Term::Pid(_), ..],
            [Term::Atom(tag), Term::Reference(r)],
        ) if tag.name == "beamtalk_rpc" => Ok(Control::ReplyUndecodable {
            reference: (**r).clone(),
            error,
        }),
        _ => Err(FrameError::Term(error)),
    }
}

fn interpret(op: i32, f: Vec<Term>, payload: Option<Term>) -> Option<Control> {
    Some(match (op, f.as_slice()) {
        (SEND | SEND_TT | SEND_SENDER | SEND_SENDER_TT, [_, Term::Pid(to), ..]) => Control::Send {
            to: Some(to.clone()),
            to_name: None,
            message: payload?,
        },
        (REG_SEND | REG_SEND_TT, [_, _, Term::Atom(name), ..]) => Control::Send {
            to: None,
            to_name: Some(name.clone()),
            message: payload?,
        },
        (MONITOR_P_EXIT, [from, _, Term::Reference(r), reason]) => Control::MonitorExit {
            from: from.clone(),
            reference: (**r).clone(),
            reason: reason.clone(),
        },
        (PAYLOAD_MONITOR_P_EXIT, [from, _, Term::Reference(r)]) => Control::MonitorExit {
            from: from.clone(),
            reference: (**r).clone(),
            reason: payload?,
        },
        (SPAWN_REPLY | SPAWN_REPLY_TT, [Term::Reference(r), _, _, result, ..]) => {
            Control::SpawnReply {
                request: (**r).clone(),
                result: result.clone(),
            }
        }
        (UNLINK_ID, [id, Term::Pid(from), Term::Pid(to)]) => Control::UnlinkId {
            id: id.clone(),
            from: from.clone(),
            to: to.clone(),
        },
        (
            LINK | EXIT | EXIT2 | MONITOR_P | DEMONITOR_P | PAYLOAD_EXIT | PAYLOAD_EXIT2
            | ALIAS_SEND | ALIAS_SEND_TT | UNLINK_ID_ACK,
            _,
        ) => Control::Other { op },
        (SEND | SEND_TT | SEND_SENDER | SEND_SENDER_TT | REG_SEND | REG_SEND_TT, _) => return None,
        (MONITOR_P_EXIT | PAYLOAD_MONITOR_P_EXIT | SPAWN_REPLY | SPAWN_REPLY_TT | UNLINK_ID, _) => {
            return None;
        }
        (op, _) => Control::Other { op },
    })
}

/// A complete frame (length prefix included) for a control tuple and optional payload, ready for one write.
fn frame(control: &Term, payload: Option<&Term>) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&[0, 0, 0, 0, PASS_THROUGH]);
    etf::encode_into(control, &mut out)?;
    if let Some(p) = payload {
        etf::encode_into(p, &mut out)?;
    }
    let len = u32::try_from(out.len() - 4).map_err(|_| EncodeError::TooLarge("frame"))?;
    out[..4].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

fn op(code: i32) -> Term {
    Term::from(FixInteger::from(code))
}

/// SPAWN_REQUEST of `module:function(args...)` with the given group leader and spawn options.
pub fn spawn_request(
    request: &Reference,
    from: &Pid,
    group_leader: &Pid,
    mfa: (&str, &str, Vec<Term>),
    options: Vec<Term>,
) -> Result<Vec<u8>, EncodeError> {
    let (m, f, args) = mfa;
    let arity = i32::try_from(args.len()).map_err(|_| EncodeError::TooLarge("argument list"))?;
    let control = tuple(vec![
        op(SPAWN_REQUEST),
        Term::from(request.clone()),
        Term::from(from.clone()),
        Term::from(group_leader.clone()),
        tuple(vec![atom(m), atom(f), Term::from(FixInteger::from(arity))]),
        list(options),
    ]);
    frame(&control, Some(&list(args)))
}

/// SEND of `message` to `to`.
pub fn send(to: &Pid, message: &Term) -> Result<Vec<u8>, EncodeError> {
    let control = tuple(vec![op(SEND), atom(""), Term::from(to.clone())]);
    frame(&control, Some(message))
}

/// REG_SEND of `message` to the process registered as `name`.
pub fn reg_send(from: &Pid, name: &str, message: &Term) -> Result<Vec<u8>, EncodeError> {
    let control = tuple(vec![
        op(REG_SEND),
        Term::from(from.clone()),
        atom(""),
        atom(name),
    ]);
    frame(&control, Some(message))
}

/// EXIT2 (an exit signal, as `exit(To, Reason)`) from `from` to `to`.
pub fn exit2(from: &Pid, to: &Pid, reason: &Term) -> Result<Vec<u8>, EncodeError> {
    let control = tuple(vec![
        op(EXIT2),
        Term::from(from.clone()),
        Term::from(to.clone()),
        reason.clone(),
    ]);
    frame(&control, None)
}

/// DEMONITOR_P of the monitor `reference` that `from` holds on `to`.
pub fn demonitor(from: &Pid, to: &Pid, reference: &Reference) -> Result<Vec<u8>, EncodeError> {
    let control = tuple(vec![
        op(DEMONITOR_P),
        Term::from(from.clone()),
        Term::from(to.clone()),
        Term::from(reference.clone()),
    ]);
    frame(&control, None)
}

/// UNLINK_ID_ACK answering an UNLINK_ID.
pub fn unlink_id_ack(id: &Term, from: &Pid, to: &Pid) -> Result<Vec<u8>, EncodeError> {
    let control = tuple(vec![
        op(UNLINK_ID_ACK),
        id.clone(),
        Term::from(from.clone()),
        Term::from(to.clone()),
    ]);
    frame(&control, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pid(id: u32) -> Pid {
        Pid::new("n@h", id, 0, 1)
    }

    #[test]
    fn a_send_frame_decodes_to_a_send() {
        let bytes = send(&pid(7), &atom("hello")).expect("encodes");
        assert_eq!(
            u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize,
            bytes.len() - 4
        );
        let control = decode(&bytes[4..]).expect("decodes");
        assert_eq!(
            control,
            Control::Send {
                to: Some(pid(7)),
                to_name: None,
                message: atom("hello")
            }
        );
    }

    #[test]
    fn unknown_ops_are_other_and_malformed_known_ops_are_errors() {
        let body = |t: Term| {
            let mut b = vec![PASS_THROUGH];
            b.extend(etf::encode(&t).expect("encodes"));
            b
        };
        assert_eq!(
            decode(&body(tuple(vec![op(99)]))),
            Ok(Control::Other { op: 99 })
        );
        assert_eq!(
            decode(&body(tuple(vec![op(SEND)]))),
            Err(FrameError::BadFields { op: SEND })
        );
        assert_eq!(decode(&body(atom("x"))), Err(FrameError::BadControl));
        assert_eq!(decode(&[68, 0]), Err(FrameError::NotPassThrough(68)));
        assert_eq!(decode(&[]), Err(FrameError::Empty));
    }
}
