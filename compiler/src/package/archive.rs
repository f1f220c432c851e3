//! The Lambda deployment package: a zip with one entry, `bootstrap`, made
//! reproducible by construction. Nothing of the build machine gets in: the
//! timestamp is the zip epoch (1980-01-01 00:00:00), the mode is 0755 on a
//! regular file made by "Unix", there are no extra fields (no extended
//! timestamps, no uid/gid), and the compression is deflate at a fixed level.
//! The same binary therefore always gives the same bytes.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

/// The one entry of a package, the executable `provided.al2023` runs.
pub const ENTRY: &str = "bootstrap";

/// The entry's permissions: owner read/write/execute, everyone else
/// read/execute (Lambda runs it as another user than the one who built it).
pub const MODE: u32 = 0o755;

const LEVEL: i64 = 6;

/// The zip of `binary` as `bootstrap`.
pub fn bootstrap_zip(binary: &[u8]) -> Result<Vec<u8>, String> {
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(LEVEL))
        .last_modified_time(DateTime::default())
        .system(System::Unix)
        .unix_permissions(MODE)
        .large_file(binary.len() as u64 >= u64::from(u32::MAX));
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    writer
        .start_file(ENTRY, options)
        .and_then(|()| writer.write_all(binary).map_err(Into::into))
        .map_err(|e| format!("cannot write the zip: {e}"))?;
    let out = writer
        .finish()
        .map_err(|e| format!("cannot write the zip: {e}"))?;
    Ok(out.into_inner())
}

/// The `bootstrap` of a package, refusing anything but a zip whose only
/// entry is an executable `bootstrap`.
pub fn read_bootstrap(zip: &[u8]) -> Result<Vec<u8>, String> {
    let mut archive =
        ZipArchive::new(Cursor::new(zip)).map_err(|e| format!("not a readable zip: {e}"))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|n| n.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("not a readable zip: {e}"))?;
    if names != [ENTRY] {
        return Err(format!(
            "a Lambda package holds exactly one entry, `{ENTRY}`; this one holds {names:?}"
        ));
    }
    let mut entry = archive
        .by_index(0)
        .map_err(|e| format!("cannot read `{ENTRY}`: {e}"))?;
    if entry.unix_mode().is_none_or(|m| m & 0o111 == 0) {
        return Err(format!("`{ENTRY}` is not executable in the zip"));
    }
    let mut bytes = Vec::new();
    entry
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read `{ENTRY}`: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_binary_gives_the_same_bytes_with_one_executable_entry() {
        let binary: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let a = bootstrap_zip(&binary).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let b = bootstrap_zip(&binary).unwrap();
        assert_eq!(a, b, "zips of one binary differ");
        assert_eq!(read_bootstrap(&a).unwrap(), binary);

        let mut archive = ZipArchive::new(Cursor::new(&a)).unwrap();
        assert_eq!(archive.len(), 1);
        let entry = archive.by_index(0).unwrap();
        assert_eq!(entry.name().unwrap(), ENTRY);
        assert_eq!(entry.unix_mode(), Some(0o100_755));
        assert_eq!(entry.compression(), CompressionMethod::Deflated);
        assert_eq!(entry.last_modified(), Some(DateTime::default()));
        assert!(entry.extra_data().is_none_or(|e| e.is_empty()));
        // The local header's DOS time and date: 00:00:00, 1980-01-01.
        assert_eq!(&a[0..4], b"PK\x03\x04");
        assert_eq!(&a[10..14], &[0, 0, 0x21, 0]);
    }

    #[test]
    fn anything_but_one_executable_bootstrap_is_refused() {
        assert!(
            read_bootstrap(b"not a zip")
                .unwrap_err()
                .contains("not a readable zip")
        );
        let two = {
            let mut w = ZipWriter::new(Cursor::new(Vec::new()));
            let o = SimpleFileOptions::default().unix_permissions(0o755);
            w.start_file("bootstrap", o).unwrap();
            w.write_all(b"x").unwrap();
            w.start_file("README", o).unwrap();
            w.finish().unwrap().into_inner()
        };
        assert!(
            read_bootstrap(&two)
                .unwrap_err()
                .contains("exactly one entry")
        );
        let plain = {
            let mut w = ZipWriter::new(Cursor::new(Vec::new()));
            w.start_file(
                "bootstrap",
                SimpleFileOptions::default().unix_permissions(0o644),
            )
            .unwrap();
            w.finish().unwrap().into_inner()
        };
        assert!(
            read_bootstrap(&plain)
                .unwrap_err()
                .contains("not executable")
        );
    }
}
