//! Node names: parsing `name@host` the way users write them, and the CLI's own unique hidden-node name.

use std::fmt;

/// A distributed Erlang node name, `name@host`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NodeName {
    name: String,
    host: String,
}

/// Why a node name is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NodeNameError {
    #[error("node name is empty")]
    Empty,
    #[error("node name `{0}` has more than one `@`")]
    TooManyAts(String),
    #[error("node name `{0}` has an empty part before or after `@`")]
    EmptyPart(String),
    #[error(
        "node name `{0}` has a character Erlang does not allow (letters, digits, `_` and `-` only before `@`)"
    )]
    BadChar(String),
    #[error("node name `{0}` is longer than 255 bytes")]
    TooLong(String),
}

impl NodeName {
    /// Parses `name@host`, or a bare `name` meaning `name@<this host's short name>` (as `erl -sname` does).
    pub fn parse(text: &str) -> Result<Self, NodeNameError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(NodeNameError::Empty);
        }
        if text.len() > 255 {
            return Err(NodeNameError::TooLong(text.to_owned()));
        }
        let (name, host) = match text.split_once('@') {
            Some((_, h)) if h.contains('@') => {
                return Err(NodeNameError::TooManyAts(text.to_owned()));
            }
            Some((n, h)) => (n.to_owned(), h.to_owned()),
            None => (text.to_owned(), short_hostname()),
        };
        if name.is_empty() || host.is_empty() {
            return Err(NodeNameError::EmptyPart(text.to_owned()));
        }
        let name_ok = name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
        let host_ok = host
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
        if !name_ok || !host_ok {
            return Err(NodeNameError::BadChar(text.to_owned()));
        }
        Ok(Self { name, host })
    }

    /// A node name from parts already known to be valid.
    pub fn new(name: &str, host: &str) -> Result<Self, NodeNameError> {
        Self::parse(&format!("{name}@{host}"))
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether this is a long name (`-name`): the host part is an FQDN or an IP address.
    pub fn is_long(&self) -> bool {
        self.host.contains('.') || self.host.contains(':')
    }

    /// A unique name for this CLI process as a hidden node: `beamtalk_cli_<pid>_<random>@<host>`, with a host
    /// of the same kind (short or long) as the node it will talk to.
    pub fn for_cli(peer: &NodeName) -> Self {
        let host = if peer.is_long() {
            long_hostname()
        } else {
            short_hostname()
        };
        let suffix: u32 = rand::random();
        Self {
            name: format!("beamtalk_cli_{}_{:08x}", std::process::id(), suffix),
            host,
        }
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.host)
    }
}

impl std::str::FromStr for NodeName {
    type Err = NodeNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length and gethostname NUL-terminates within it on success.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".to_owned();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match std::str::from_utf8(&buf[..end]) {
        Ok(h) if !h.is_empty() => h.to_owned(),
        _ => "localhost".to_owned(),
    }
}

/// This host's short name, as `erl -sname` uses it.
pub fn short_hostname() -> String {
    let h = hostname();
    h.split('.').next().unwrap_or(&h).to_owned()
}

/// A long host name for `-name` peers: the FQDN when the system has one, else the loopback address.
pub fn long_hostname() -> String {
    let h = hostname();
    if h.contains('.') {
        h
    } else {
        "127.0.0.1".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_short_and_long_names() {
        let n = NodeName::parse("foo@bar").expect("valid");
        assert_eq!((n.name(), n.host(), n.is_long()), ("foo", "bar", false));
        let n = NodeName::parse("foo@127.0.0.1").expect("valid");
        assert!(n.is_long());
        let n = NodeName::parse("foo").expect("valid");
        assert_eq!(n.host(), short_hostname());
    }

    #[test]
    fn rejects_bad_names() {
        assert_eq!(NodeName::parse(""), Err(NodeNameError::Empty));
        assert!(matches!(
            NodeName::parse("a@b@c"),
            Err(NodeNameError::TooManyAts(_))
        ));
        assert!(matches!(
            NodeName::parse("@b"),
            Err(NodeNameError::EmptyPart(_))
        ));
        assert!(matches!(
            NodeName::parse("a b@c"),
            Err(NodeNameError::BadChar(_))
        ));
    }

    #[test]
    fn cli_names_are_unique_and_match_the_peer_kind() {
        let peer = NodeName::parse("w@127.0.0.1").expect("valid");
        let (a, b) = (NodeName::for_cli(&peer), NodeName::for_cli(&peer));
        assert_ne!(a, b);
        assert!(a.name().starts_with("beamtalk_cli_"));
        assert!(a.is_long());
    }
}
