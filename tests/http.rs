//! `HTTPClient` against a real HTTP server the test runs on loopback (never the internet): requests,
//! responses, JSON bodies, a client actor with a base URL, and the errors.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, channel};
use std::thread;
use std::time::Duration;

use common::{Project, free_port};

/// What the server was sent: method, path, headers (lower-case names), body.
#[derive(Debug)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// Serves until the test ends: `/users/1` answers JSON, `/echo` answers the request's body, anything
/// else 404. Every request is reported on the channel.
fn serve() -> (u16, Receiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = channel();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(seen) = answer(stream) {
                let _ = tx.send(seen);
            }
        }
    });
    (port, rx)
}

fn answer(mut stream: TcpStream) -> Option<Seen> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
    }
    let length = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let body = String::from_utf8_lossy(&body).into_owned();
    let (status, reply) = match path.as_str() {
        "/users/1" => ("200 OK", r#"{"name": "Alice", "id": 1}"#.to_owned()),
        "/echo" => ("201 Created", body.clone()),
        _ => ("404 Not Found", "no such thing".to_owned()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Test: yes\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
        reply.len()
    );
    stream.write_all(response.as_bytes()).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}

#[test]
fn requests_answer_responses_and_a_client_actor_keeps_its_base_url() {
    let (port, seen) = serve();
    let p = Project::new();
    let base = format!("http://127.0.0.1:{port}");
    p.eval_ok(&format!("r := (HTTPClient get: \"{base}/users/1\") unwrap"));
    assert_eq!(p.eval_ok("r status"), "200");
    assert_eq!(p.eval_ok("r ok"), "true");
    assert_eq!(p.eval_ok("r bodyAsJson at: \"name\""), "Alice");
    assert_eq!(
        p.eval_ok("(r headers detect: [:h | (h at: 1) = \"x-test\"]) at: 2"),
        "yes"
    );
    let first = seen
        .recv_timeout(Duration::from_secs(5))
        .expect("a request");
    assert_eq!(
        (first.method.as_str(), first.path.as_str()),
        ("GET", "/users/1")
    );

    // A status that is no success is still a response.
    assert_eq!(
        p.eval_ok(&format!(
            "r := (HTTPClient get: \"{base}/nope\") unwrap. #(r status, r ok)"
        )),
        "#(404, false)"
    );
    seen.recv_timeout(Duration::from_secs(5))
        .expect("a request");

    // A body and headers reach the server.
    assert_eq!(
        p.eval_ok(&format!(
            "(HTTPClient request: #post url: \"{base}/echo\" options: #{{#body => \"hello\", #headers => #(#(\"Content-Type\", \"text/plain\"), #(\"X-Token\", \"t1\"))}}) unwrap body"
        )),
        "hello"
    );
    let post = seen
        .recv_timeout(Duration::from_secs(5))
        .expect("a request");
    assert_eq!(
        (post.method.as_str(), post.body.as_str()),
        ("POST", "hello")
    );
    assert!(
        post.headers.contains(&("x-token".into(), "t1".into())),
        "{post:?}"
    );
    assert!(
        post.headers
            .contains(&("content-type".into(), "text/plain".into())),
        "{post:?}"
    );

    // A client actor appends paths to its base URL.
    p.eval_ok(&format!(
        "c := HTTPClient spawnWith: #{{#baseUrl => \"{base}\", #timeout => 5000}}"
    ));
    assert_eq!(p.eval_ok("(c get: \"/users/1\") unwrap status"), "200");
    assert_eq!(
        p.eval_ok("(c put: \"/echo\" body: \"v2\") unwrap body"),
        "v2"
    );
    let put = (0..2)
        .filter_map(|_| seen.recv_timeout(Duration::from_secs(5)).ok())
        .find(|s| s.method == "PUT")
        .expect("the PUT");
    assert_eq!((put.path.as_str(), put.body.as_str()), ("/echo", "v2"));
}

#[test]
fn no_response_is_a_result_error_and_a_bad_url_raises() {
    let p = Project::new();
    // Nothing listens on a port just found free.
    let closed = free_port();
    assert_eq!(
        p.eval_ok(&format!(
            "(HTTPClient get: \"http://127.0.0.1:{closed}/\") error"
        )),
        "failed_connect"
    );
    let (code, out, _, _) = common::run(&mut p.cmd(&["eval", "HTTPClient get: 42"]));
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with("ERROR: type_error: HTTPClient needs a String URL"),
        "{out}"
    );
    assert_eq!(
        p.eval_ok("[HTTPClient new] on: InstantiationError do: [:e | e kind]"),
        "instantiation_error"
    );
}
