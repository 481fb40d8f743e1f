//! JSON-RPC over stdio with LSP's framing (`Content-Length` headers). Our own reader, not lsp-server's:
//! a message that is not JSON, not UTF-8 or too big must be answered with a protocol error and the
//! server must go on, where lsp-server's reader ends the connection.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc;

use lsp_server::Message;

/// The largest message read (a 10 MB document fits, with room for JSON escapes).
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// The longest header line accepted.
const MAX_HEADER: usize = 1024;

/// What the client sent.
pub enum Incoming {
    Message(Message),
    /// A framed message that could not be read as JSON-RPC: why (answered with a parse error).
    Malformed(String),
}

/// Reads framed messages from `input` on a thread of its own until it ends or its framing breaks
/// (then nothing after it can be trusted to start a message).
pub fn reader(input: impl Read + Send + 'static) -> mpsc::Receiver<Incoming> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut input = std::io::BufReader::new(input);
        loop {
            let incoming = match read_frame(&mut input) {
                Ok(Some(body)) => parse(&body),
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Incoming::Malformed(e));
                    break;
                }
            };
            if tx.send(incoming).is_err() {
                break;
            }
        }
    });
    rx
}

fn parse(body: &[u8]) -> Incoming {
    match serde_json::from_slice::<Message>(body) {
        Ok(m) => Incoming::Message(m),
        Err(e) => Incoming::Malformed(format!("not a JSON-RPC message: {e}")),
    }
}

/// One message's body, `None` at the end of input, or why the framing is broken.
fn read_frame(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, String> {
    let mut length = None;
    let mut first = true;
    loop {
        let mut line = Vec::new();
        let n = input
            .by_ref()
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("reading standard input: {e}"))?;
        if n == 0 {
            return match first {
                true => Ok(None),
                false => Err("the input ended inside a message's headers".into()),
            };
        }
        first = false;
        if !line.ends_with(b"\n") {
            return Err(format!("a header line is longer than {MAX_HEADER} bytes"));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end();
        if text.is_empty() {
            break;
        }
        if let Some((name, value)) = text.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = Some(
                value
                    .trim()
                    .parse::<usize>()
                    .map_err(|_| format!("bad Content-Length `{}`", value.trim()))?,
            );
        }
    }
    let length = length.ok_or("a message without a Content-Length header")?;
    if length > MAX_MESSAGE {
        return Err(format!(
            "a message of {length} bytes is over the {MAX_MESSAGE}-byte limit"
        ));
    }
    let mut body = vec![0; length];
    input
        .read_exact(&mut body)
        .map_err(|e| format!("the input ended inside a message: {e}"))?;
    Ok(Some(body))
}

/// Writes `msg` to stdout, framed.
pub fn send(msg: Message) {
    let mut out = std::io::stdout().lock();
    // A client that went away ends the session through the reader; nothing to do here.
    let _ = msg.write(&mut out).and_then(|()| out.flush());
}

/// Writes a JSON value that lsp-server's types cannot express (a response with a null id), framed.
pub fn send_raw(body: &serde_json::Value) {
    let text = body.to_string();
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "Content-Length: {}\r\n\r\n{text}", text.len()).and_then(|()| out.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> Vec<u8> {
        format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
    }

    #[test]
    fn frames_are_read_one_by_one_and_bad_json_is_reported() {
        let mut input = frame("{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}");
        input.extend(frame("{not json"));
        let mut r = std::io::Cursor::new(input);
        let first = read_frame(&mut r).expect("a frame").expect("not the end");
        assert!(matches!(parse(&first), Incoming::Message(_)));
        let second = read_frame(&mut r).expect("a frame").expect("not the end");
        assert!(matches!(parse(&second), Incoming::Malformed(_)));
        assert_eq!(read_frame(&mut r), Ok(None));
    }

    #[test]
    fn broken_framing_is_an_error_not_a_hang_or_a_huge_allocation() {
        let mut r = std::io::Cursor::new(b"Content-Length: 99999999999\r\n\r\n".to_vec());
        assert!(read_frame(&mut r).is_err());
        let mut r = std::io::Cursor::new(b"Content-Type: x\r\n\r\n".to_vec());
        assert!(read_frame(&mut r).is_err());
        let mut r = std::io::Cursor::new(b"Content-Length: 10\r\n\r\nabc".to_vec());
        assert!(read_frame(&mut r).is_err());
    }
}
