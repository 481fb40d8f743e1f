//! Export files: `BTWX`, a big-endian u16 format version, then one external term (the map
//! `beamtalk_workspace_export:export/0` returns). Read back with the bounded decoder.

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

/// Reads an export, checking its header and version.
pub fn read(path: &Path) -> Result<Term, WorkspaceError> {
    let bytes = std::fs::read(path).map_err(|source| WorkspaceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let corrupt = |reason: String| WorkspaceError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or_else(|| corrupt("not a beamtalk workspace export (bad header)".to_owned()))?;
    let (version, body) = rest
        .split_at_checked(2)
        .ok_or_else(|| corrupt("truncated header".to_owned()))?;
    let version = u16::from_be_bytes([version[0], version[1]]);
    if version != VERSION {
        return Err(corrupt(format!(
            "export format version {version}; this beamtalk reads version {VERSION}"
        )));
    }
    etf::decode(body).map_err(|e| corrupt(e.to_string()))
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
    }
}
