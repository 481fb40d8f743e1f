//! TLS for distribution (`-proto_dist inet_tls`): the client configuration and the classification of
//! TLS failures.
//!
//! Mutual authentication: we trust only the given CA for the node's certificate (checked against the host
//! part of its node name) and present our own client certificate, which the node checks against the same
//! CA. Private keys readable by other users are refused, as the cookie is.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

/// The files of a TLS client identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// PEM certificate(s) of the CA that signs node certificates.
    pub ca: PathBuf,
    /// PEM certificate chain presented to nodes.
    pub cert: PathBuf,
    /// PEM private key of `cert` (mode 0600).
    pub key: PathBuf,
}

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no PEM private key")]
    NoKey { path: PathBuf },
    #[error(
        "private key {path} has mode {mode:o}, readable by other users; run `chmod 600 {path}`"
    )]
    Permissions { path: PathBuf, mode: u32 },
    #[error("TLS configuration rejected: {0}")]
    Config(#[from] rustls::Error),
    #[error("`{0}` cannot be checked against a certificate (not a DNS name or IP address)")]
    ServerName(String),
}

impl Identity {
    /// The client configuration for this identity.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in certificates(&self.ca)? {
            roots.add(cert)?;
        }
        let chain = certificates(&self.cert)?;
        let key = private_key(&self.key)?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)?;
        Ok(Arc::new(config))
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let bytes = read(path)?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: path.to_path_buf(),
        });
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let meta = std::fs::metadata(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(TlsError::Permissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    PrivateKeyDer::from_pem_slice(&read(path)?).map_err(|_| TlsError::NoKey {
        path: path.to_path_buf(),
    })
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The name a node's certificate must carry: the host part of its node name.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsError::ServerName(host.to_owned()))
}

/// What a failed TLS exchange means for the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// A certificate was refused, ours by the node or the node's by us.
    Certificate,
    /// Anything else: the peer does not speak TLS, the connection dropped.
    Protocol,
}

/// Classifies an I/O error from a TLS stream (rustls reports through `io::Error`).
pub fn classify(e: &std::io::Error) -> Failure {
    use rustls::AlertDescription as A;
    let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) else {
        return Failure::Protocol;
    };
    match tls {
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented => {
            Failure::Certificate
        }
        rustls::Error::AlertReceived(
            A::BadCertificate
            | A::UnsupportedCertificate
            | A::CertificateRevoked
            | A::CertificateExpired
            | A::CertificateUnknown
            | A::UnknownCA
            | A::AccessDenied
            | A::CertificateRequired
            | A::DecryptError,
        ) => Failure::Certificate,
        _ => Failure::Protocol,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_are_dns_names_or_ips() {
        assert!(matches!(
            server_name("10.201.1.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            server_name("buildbox"),
            Ok(ServerName::DnsName(_))
        ));
        assert!(server_name("not a host").is_err());
    }

    #[test]
    fn plain_io_errors_are_protocol_failures() {
        let e = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        assert_eq!(classify(&e), Failure::Protocol);
        let e = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(rustls::AlertDescription::UnknownCA),
        );
        assert_eq!(classify(&e), Failure::Certificate);
    }
}
