//! The small certificate authority behind TLS distribution, under `<home>/tls/` (`beamtalk tls init`).
//!
//! One CA signs a node certificate (presented by workspace nodes, valid for `localhost`, loopback, this
//! host's name and any `--san` given, usable as server and client) and a client certificate (presented by
//! this CLI). Nodes get an `ssl_dist.conf` for `-ssl_dist_optfile` that demands a certificate from every
//! peer. Everything is written to a staging directory and renamed into place, so a failure never leaves
//! half a set; private keys are 0600 and the directory 0700.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};

use crate::dist::tls::Identity;

/// Why the TLS files could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error(
        "TLS files already exist in {dir}; pass --force to replace them (nodes started with the old ones will refuse the new client certificate)"
    )]
    Exists { dir: PathBuf },
    #[error("invalid subject alternative name `{name}`: {reason}")]
    InvalidName { name: String, reason: String },
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The files of one home's TLS set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsDir {
    pub dir: PathBuf,
}

impl TlsDir {
    pub fn new(home: &Path) -> Self {
        Self {
            dir: home.join("tls"),
        }
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
    pub fn ca_key(&self) -> PathBuf {
        self.dir.join("ca-key.pem")
    }
    pub fn node_cert(&self) -> PathBuf {
        self.dir.join("node.pem")
    }
    pub fn node_key(&self) -> PathBuf {
        self.dir.join("node-key.pem")
    }
    pub fn client_cert(&self) -> PathBuf {
        self.dir.join("client.pem")
    }
    pub fn client_key(&self) -> PathBuf {
        self.dir.join("client-key.pem")
    }
    /// The `-ssl_dist_optfile` of workspace nodes.
    pub fn dist_conf(&self) -> PathBuf {
        self.dir.join("ssl_dist.conf")
    }

    pub fn exists(&self) -> bool {
        self.ca().is_file()
    }

    /// Writes the node's `ssl_dist.conf` with this directory's paths (it may have been copied from another
    /// home, e.g. into a container) unless it already says exactly that; returns its path.
    pub fn ensure_dist_conf(&self) -> Result<PathBuf, PkiError> {
        let path = self.dist_conf();
        let text = dist_conf(self);
        if fs::read_to_string(&path).is_ok_and(|old| old == text) {
            return Ok(path);
        }
        for file in [self.node_cert(), self.node_key()] {
            if !file.is_file() {
                return Err(PkiError::Io {
                    path: file,
                    source: std::io::ErrorKind::NotFound.into(),
                });
            }
        }
        let staging = self
            .dir
            .join(format!(".ssl_dist-{:08x}.conf", rand::random::<u32>()));
        write_file(&staging, text.as_bytes(), 0o644)?;
        fs::rename(&staging, &path).map_err(|source| PkiError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    }

    /// What this CLI presents to nodes.
    pub fn client_identity(&self) -> Identity {
        Identity {
            ca: self.ca(),
            cert: self.client_cert(),
            key: self.client_key(),
        }
    }
}

/// What `init` made.
#[derive(Debug)]
pub struct Issued {
    pub dir: TlsDir,
    /// The names and addresses the node certificate is valid for.
    pub node_names: Vec<String>,
}

/// Creates the CA, node and client certificates under `<home>/tls`.
pub fn init(home: &Path, extra_names: &[String], force: bool) -> Result<Issued, PkiError> {
    let dir = TlsDir::new(home);
    if dir.exists() && !force {
        return Err(PkiError::Exists { dir: dir.dir });
    }
    let node_names = node_names(extra_names)?;
    let staging = home.join(format!(
        ".tls-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = write_set(&staging, &dir, &node_names).and_then(|()| replace(&staging, &dir.dir));
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result.map(|()| Issued { dir, node_names })
}

/// `localhost`, loopback, this host's name, then `extra` (deduplicated, validated).
fn node_names(extra: &[String]) -> Result<Vec<String>, PkiError> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    names.push(crate::dist::node_name::short_hostname());
    names.push(crate::dist::node_name::long_hostname());
    for name in extra {
        let name = name.trim();
        if crate::dist::tls::server_name(name).is_err() {
            return Err(PkiError::InvalidName {
                name: name.to_owned(),
                reason: "use a DNS name or an IP address".to_owned(),
            });
        }
        names.push(name.to_owned());
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Ok(names)
}

fn write_set(staging: &Path, dir: &TlsDir, node_names: &[String]) -> Result<(), PkiError> {
    create_private_dir(staging)?;
    let (from, to) = (year_now() - 1, year_now() + 10);
    let ca_key = KeyPair::generate()?;
    let ca_params = ca_params(from, to);
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca_params, &ca_key);
    let node = leaf("beamtalk workspace node", node_names, true, from, to)?;
    let node_key = KeyPair::generate()?;
    let node_cert = node.signed_by(&node_key, &issuer)?;
    let client = leaf("beamtalk client", &[], false, from, to)?;
    let client_key = KeyPair::generate()?;
    let client_cert = client.signed_by(&client_key, &issuer)?;
    let at = |p: PathBuf| staging.join(p.file_name().unwrap_or_default());
    write_file(&at(dir.ca()), ca_cert.pem().as_bytes(), 0o644)?;
    write_file(&at(dir.ca_key()), ca_key.serialize_pem().as_bytes(), 0o600)?;
    write_file(&at(dir.node_cert()), node_cert.pem().as_bytes(), 0o644)?;
    write_file(
        &at(dir.node_key()),
        node_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_file(&at(dir.client_cert()), client_cert.pem().as_bytes(), 0o644)?;
    write_file(
        &at(dir.client_key()),
        client_key.serialize_pem().as_bytes(),
        0o600,
    )?;
    write_file(&at(dir.dist_conf()), dist_conf(dir).as_bytes(), 0o644)
}

fn ca_params(from: i32, to: i32) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.distinguished_name = name("beamtalk CA");
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(to, 1, 1);
    params
}

fn leaf(
    common_name: &str,
    names: &[String],
    server: bool,
    from: i32,
    to: i32,
) -> Result<CertificateParams, PkiError> {
    let mut params = CertificateParams::new(names.to_vec())?;
    // An address is also named as a DNS name: a node dialling another by address (`name@10.0.0.5`)
    // checks that text as a host name, which OTP 25 matches against DNS names only.
    for n in names
        .iter()
        .filter(|n| n.parse::<std::net::IpAddr>().is_ok())
    {
        params
            .subject_alt_names
            .push(SanType::DnsName(n.as_str().try_into()?));
    }
    params.distinguished_name = name(common_name);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = if server {
        // Nodes also dial other nodes, so their certificate serves both ends.
        vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ]
    } else {
        vec![ExtendedKeyUsagePurpose::ClientAuth]
    };
    params.not_before = rcgen::date_time_ymd(from, 1, 1);
    params.not_after = rcgen::date_time_ymd(to, 1, 1);
    Ok(params)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn year_now() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    1970 + (secs / 31_556_952) as i32
}

/// The ssl_dist options file: both ends verify the peer against our CA and insist on a certificate.
pub fn dist_conf(dir: &TlsDir) -> String {
    let common = format!(
        "{{certfile,{}}},{{keyfile,{}}},{{cacertfile,{}}},{{verify,verify_peer}},{{secure_renegotiate,true}}",
        erlang_string(&dir.node_cert()),
        erlang_string(&dir.node_key()),
        erlang_string(&dir.ca()),
    );
    format!(
        "%% Written by `beamtalk tls init`: TLS distribution with mutual authentication.\n\
         [{{server,[{common},{{fail_if_no_peer_cert,true}}]}},\n \
         {{client,[{common},{{server_name_indication,disable}}]}}].\n"
    )
}

fn erlang_string(path: &Path) -> String {
    let text = path.to_string_lossy();
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn create_private_dir(dir: &Path) -> Result<(), PkiError> {
    fs::create_dir_all(dir).map_err(|source| PkiError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|source| PkiError::Io {
        path: dir.to_path_buf(),
        source,
    })
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), PkiError> {
    let io = |source| PkiError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Moves the staged set into place; an old set is moved aside first and removed after.
fn replace(staging: &Path, target: &Path) -> Result<(), PkiError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PkiError::Io { path, source }
    };
    let old = target.with_extension(format!("old-{:08x}", rand::random::<u32>()));
    let had_old = target.exists();
    if had_old {
        fs::rename(target, &old).map_err(io(target))?;
    }
    if let Err(e) = fs::rename(staging, target) {
        if had_old {
            let _ = fs::rename(&old, target);
        }
        return Err(io(target)(e));
    }
    if had_old {
        let _ = fs::remove_dir_all(&old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_writes_private_keys_and_refuses_to_overwrite() {
        let home = tempfile::tempdir().expect("tempdir");
        let issued = init(home.path(), &["10.201.1.1".to_owned()], false).expect("init");
        assert!(issued.node_names.contains(&"10.201.1.1".to_owned()));
        let dir = &issued.dir;
        for key in [dir.ca_key(), dir.node_key(), dir.client_key()] {
            let mode = fs::metadata(&key).expect("key").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", key.display());
        }
        let conf = fs::read_to_string(dir.dist_conf()).expect("conf");
        assert!(conf.contains("{fail_if_no_peer_cert,true}"));
        assert!(matches!(
            init(home.path(), &[], false),
            Err(PkiError::Exists { .. })
        ));
        let before = fs::read(dir.ca()).expect("ca");
        init(home.path(), &[], true).expect("forced");
        assert_ne!(fs::read(dir.ca()).expect("ca"), before);
        assert!(dir.client_identity().client_config().is_ok());
    }

    #[test]
    fn a_copied_directory_gets_a_dist_conf_with_its_own_paths() {
        let home = tempfile::tempdir().expect("tempdir");
        let issued = init(home.path(), &[], false).expect("init");
        let copy = tempfile::tempdir().expect("tempdir");
        let moved = TlsDir::new(copy.path());
        fs::create_dir_all(&moved.dir).expect("dir");
        for file in [
            issued.dir.ca(),
            issued.dir.node_cert(),
            issued.dir.node_key(),
            issued.dir.dist_conf(),
        ] {
            fs::copy(&file, moved.dir.join(file.file_name().expect("name"))).expect("copy");
        }
        let conf = moved.ensure_dist_conf().expect("conf");
        let text = fs::read_to_string(conf).expect("read");
        assert!(
            text.contains(&moved.node_key().display().to_string()),
            "{text}"
        );
        assert!(
            !text.contains(&issued.dir.dir.display().to_string()),
            "{text}"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        let home = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            init(home.path(), &["no spaces".to_owned()], false),
            Err(PkiError::InvalidName { .. })
        ));
        assert!(!TlsDir::new(home.path()).exists());
    }

    #[test]
    fn paths_are_quoted_for_erlang() {
        assert_eq!(erlang_string(Path::new(r#"/a "b"\c"#)), r#""/a \"b\"\\c""#);
    }
}
