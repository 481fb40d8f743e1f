//! Export files: `BTWX`, a big-endian u16 format version, then one external term (the map
//! `beamtalk_workspace_export:export/0` returns). Read back with the bounded decoder.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use eetf::Term;

use super::WorkspaceError;
use crate::term::etf;

const MAGIC: &[u8; 4] = b"BTWX";

/// The format version this build writes and reads.
pub const VERSION: u16 = 1;

/// Writes an export atomically (temporary file, then rename).
pub fn write(path: &Path, data: &Term) -> Result<(), WorkspaceError> {
    let mut bytes = MAGIC.to_vec();
    bytes.extend_from_slice(&VERSION.to_be_bytes());
    let body = etf::encode(data).map_err(|e| WorkspaceError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    bytes.extend_from_slice(&body);
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let io = |source| WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(&tmp, &bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// The largest export read (a workspace's classes, actor states and bindings).
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Reads an export, checking that it is a regular file, its header and version, and its size, before the
/// body is read (`/dev/zero` or a 3 GB file is refused without reading it).
pub fn read(path: &Path) -> Result<Term, WorkspaceError> {
    let corrupt = |reason: String| WorkspaceError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let io = |source| WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(corrupt("not a regular file".to_owned()));
    }
    let mut header = [0u8; 6];
    let mut reader = std::io::Read::take(file, MAX_BYTES + 1);
    reader.read_exact(&mut header).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => corrupt("truncated header".to_owned()),
        _ => io(e),
    })?;
    if &header[..4] != MAGIC {
        return Err(corrupt(
            "not a beamtalk workspace export (bad header)".to_owned(),
        ));
    }
    let version = u16::from_be_bytes([header[4], header[5]]);
    if version != VERSION {
        return Err(corrupt(format!(
            "export format version {version}; this beamtalk reads version {VERSION}"
        )));
    }
    if meta.len() > MAX_BYTES {
        return Err(corrupt(format!(
            "{} bytes, over the {MAX_BYTES}-byte limit for an export",
            meta.len()
        )));
    }
    let mut body = Vec::new();
    reader.read_to_end(&mut body).map_err(io)?;
    if body.len() as u64 + 6 > MAX_BYTES {
        return Err(corrupt(format!(
            "over the {MAX_BYTES}-byte limit for an export"
        )));
    }
    etf::decode(&body).map_err(|e| corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::term::parse::parse;

    #[test]
    fn round_trips_and_rejects_bad_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ws.btx");
        let data = parse("#{version => 1, bindings => #{x => 42}}").expect("term");
        write(&path, &data).expect("writes");
        assert_eq!(
            etf::encode(&read(&path).expect("reads")).ok(),
            etf::encode(&data).ok()
        );
        std::fs::write(&path, b"nope").expect("write");
        assert!(matches!(read(&path), Err(WorkspaceError::Corrupt { .. })));
        std::fs::write(&path, b"BTWX\x00\x09\x83\x61\x01").expect("write");
        assert!(
            read(&path)
                .expect_err("future version")
                .to_string()
                .contains("version 9")
        );
        assert!(
            read(Path::new("/dev/zero"))
                .expect_err("a device")
                .to_string()
                .contains("not a regular file")
        );
        // A header that says "export" in front of a body past the limit: refused by its size alone.
        let big = std::fs::File::create(&path).expect("create");
        std::io::Write::write_all(&mut &big, b"BTWX\x00\x01").expect("header");
        big.set_len(MAX_BYTES + 10).expect("sparse");
        assert!(
            read(&path)
                .expect_err("too large")
                .to_string()
                .contains("limit")
        );
    }
}
