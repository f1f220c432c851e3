//! What a Lambda needs to know about an ELF executable before it ships: the
//! machine it is for, the glibc symbol versions it requires (from
//! `.gnu.version_r`, the symbols that require each from `.gnu.version` and
//! `.dynsym`), and the shared libraries it loads (`DT_NEEDED`).
//!
//! A small reader of the ELF64 little-endian layout (the only one Lambda
//! runs), with every offset bounds-checked: a truncated or foreign file is
//! an error that says so, never a panic.

use std::collections::BTreeMap;
use std::fmt;

/// The machines Lambda runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Machine {
    /// `EM_AARCH64`.
    Aarch64,
    /// `EM_X86_64`.
    X86_64,
    /// Any other `e_machine`.
    Other(u16),
}

impl fmt::Display for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Machine::Aarch64 => f.write_str("aarch64"),
            Machine::X86_64 => f.write_str("x86_64"),
            Machine::Other(n) => write!(f, "e_machine {n}"),
        }
    }
}

/// A version a binary requires from a shared library (`GLIBC_2.34` from
/// `libc.so.6`) and the dynamic symbols bound to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The library (`libc.so.6`).
    pub library: String,
    /// The version name (`GLIBC_2.34`).
    pub version: String,
    /// The symbols that need this version, sorted.
    pub symbols: Vec<String>,
}

impl Requirement {
    /// The glibc version of a `GLIBC_<major>.<minor>[.<patch>]` name.
    pub fn glibc(&self) -> Option<(u32, u32)> {
        let rest = self.version.strip_prefix("GLIBC_")?;
        let mut parts = rest.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    }
}

/// What [`inspect`] reads from an executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executable {
    /// The machine it is for.
    pub machine: Machine,
    /// The shared libraries it loads, in `DT_NEEDED` order.
    pub needed: Vec<String>,
    /// The symbol versions it requires, in file order.
    pub requirements: Vec<Requirement>,
}

impl Executable {
    /// The newest glibc version any requirement names, if any.
    pub fn newest_glibc(&self) -> Option<(u32, u32)> {
        self.requirements
            .iter()
            .filter_map(Requirement::glibc)
            .max()
    }

    /// The requirements newer than glibc `limit`.
    pub fn glibc_newer_than(&self, limit: (u32, u32)) -> Vec<&Requirement> {
        self.requirements
            .iter()
            .filter(|r| r.glibc().is_some_and(|v| v > limit))
            .collect()
    }
}

const SHT_DYNAMIC: u32 = 6;
const SHT_DYNSYM: u32 = 11;
const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;
const SHT_GNU_VERSYM: u32 = 0x6fff_ffff;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;

struct Section {
    kind: u32,
    offset: usize,
    size: usize,
    link: usize,
    entsize: usize,
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes(&self, at: usize, len: usize) -> Result<&[u8], String> {
        at.checked_add(len)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| {
                format!("truncated ELF file: {len} bytes at offset {at} are past its end")
            })
    }
    fn u16(&self, at: usize) -> Result<u16, String> {
        let b = self.bytes(at, 2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&self, at: usize) -> Result<u32, String> {
        let b = self.bytes(at, 4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&self, at: usize) -> Result<u64, String> {
        let b = self.bytes(at, 8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn usize(&self, at: usize) -> Result<usize, String> {
        usize::try_from(self.u64(at)?).map_err(|_| "ELF offset does not fit in memory".to_owned())
    }
    /// The NUL-terminated string at `at` in the string table `table`.
    fn string(&self, table: &Section, at: usize) -> Result<String, String> {
        let start = table
            .offset
            .checked_add(at)
            .filter(|_| at < table.size)
            .ok_or_else(|| format!("string offset {at} is outside its string table"))?;
        let end = table.offset + table.size;
        let bytes = self
            .0
            .get(start..end.min(self.0.len()))
            .ok_or_else(|| "string table past the end of the file".to_owned())?;
        let len = bytes
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| "unterminated string in a string table".to_owned())?;
        Ok(String::from_utf8_lossy(&bytes[..len]).into_owned())
    }
}

/// Reads an ELF64 little-endian executable.
pub fn inspect(bytes: &[u8]) -> Result<Executable, String> {
    let r = Reader(bytes);
    if r.bytes(0, 4).ok() != Some(b"\x7fELF") {
        return Err("not an ELF file (a Lambda `bootstrap` must be a Linux executable)".into());
    }
    if r.bytes(4, 2)? != [2, 1] {
        return Err("not a 64-bit little-endian ELF file".into());
    }
    let machine = match r.u16(18)? {
        183 => Machine::Aarch64,
        62 => Machine::X86_64,
        n => Machine::Other(n),
    };
    let shoff = r.usize(0x28)?;
    let shentsize = usize::from(r.u16(0x3a)?);
    let shnum = usize::from(r.u16(0x3c)?);
    if shnum > 0 && shentsize < 0x40 {
        return Err(format!(
            "ELF section header entries of {shentsize} bytes are too small"
        ));
    }
    let mut sections = Vec::with_capacity(shnum);
    for i in 0..shnum {
        let at = shoff
            .checked_add(i * shentsize)
            .ok_or("ELF section header table offset overflows")?;
        sections.push(Section {
            kind: r.u32(at + 4)?,
            offset: r.usize(at + 0x18)?,
            size: r.usize(at + 0x20)?,
            link: r.u32(at + 0x28)? as usize,
            entsize: r.usize(at + 0x38)?,
        });
    }
    let linked = |s: &Section| {
        sections.get(s.link).ok_or_else(|| {
            format!(
                "ELF section links to section {} that does not exist",
                s.link
            )
        })
    };

    let mut needed = Vec::new();
    for s in sections.iter().filter(|s| s.kind == SHT_DYNAMIC) {
        let strings = linked(s)?;
        let mut at = s.offset;
        while at + 16 <= s.offset + s.size {
            let tag = r.u64(at)?;
            if tag == DT_NULL {
                break;
            }
            if tag == DT_NEEDED {
                needed.push(r.string(strings, r.usize(at + 8)?)?);
            }
            at += 16;
        }
    }

    // Version index -> the dynamic symbols bound to it.
    let mut symbols_of: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    if let (Some(versym), Some(dynsym)) = (
        sections.iter().find(|s| s.kind == SHT_GNU_VERSYM),
        sections.iter().find(|s| s.kind == SHT_DYNSYM),
    ) {
        let strings = linked(dynsym)?;
        let entsize = if dynsym.entsize == 0 {
            24
        } else {
            dynsym.entsize
        };
        let count = (dynsym.size / entsize).min(versym.size / 2);
        for i in 0..count {
            // Bit 15 marks a hidden symbol; the index is the low 15 bits.
            let index = r.u16(versym.offset + 2 * i)? & 0x7fff;
            if index < 2 {
                continue; // local or global: no version
            }
            let name = r.string(strings, r.u32(dynsym.offset + i * entsize)? as usize)?;
            symbols_of.entry(index).or_default().push(name);
        }
    }

    let mut requirements = Vec::new();
    for s in sections.iter().filter(|s| s.kind == SHT_GNU_VERNEED) {
        let strings = linked(s)?;
        let mut at = s.offset;
        // A file has at most as many entries as fit in the section; the
        // bound also stops a cycle of `vn_next` offsets.
        for _ in 0..=s.size / 16 {
            let count = r.u16(at + 2)?;
            let library = r.string(strings, r.u32(at + 4)? as usize)?;
            let mut aux = at + r.u32(at + 8)? as usize;
            for _ in 0..count {
                let index = r.u16(aux + 6)? & 0x7fff;
                let version = r.string(strings, r.u32(aux + 8)? as usize)?;
                let mut symbols = symbols_of.remove(&index).unwrap_or_default();
                symbols.sort();
                symbols.dedup();
                requirements.push(Requirement {
                    library: library.clone(),
                    version,
                    symbols,
                });
                let next = r.u32(aux + 12)? as usize;
                if next == 0 {
                    break;
                }
                aux += next;
            }
            let next = r.u32(at + 12)? as usize;
            if next == 0 {
                break;
            }
            at += next;
        }
    }
    Ok(Executable {
        machine,
        needed,
        requirements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn this_executable() -> Vec<u8> {
        std::fs::read(std::env::current_exe().unwrap()).unwrap()
    }

    #[test]
    fn reads_the_test_binary_itself() {
        let exe = inspect(&this_executable()).unwrap();
        #[cfg(target_arch = "x86_64")]
        assert_eq!(exe.machine, Machine::X86_64);
        #[cfg(target_arch = "aarch64")]
        assert_eq!(exe.machine, Machine::Aarch64);
        assert!(
            exe.needed.iter().any(|l| l == "libc.so.6"),
            "{:?}",
            exe.needed
        );
        let glibc = exe.newest_glibc().expect("a glibc requirement");
        assert!(glibc >= (2, 2), "{glibc:?}");
        // Every glibc requirement comes from a glibc library and names the
        // symbols that need it.
        for r in exe.requirements.iter().filter(|r| r.glibc().is_some()) {
            assert!(r.library.contains(".so."), "{r:?}");
        }
        assert!(
            exe.requirements.iter().any(|r| !r.symbols.is_empty()),
            "{:?}",
            exe.requirements
        );
    }

    #[test]
    fn a_newer_glibc_version_is_reported_with_its_symbols() {
        let mut bytes = this_executable();
        let exe = inspect(&bytes).unwrap();
        // Rename the newest version the binary requires to GLIBC_9.99 in
        // place (same length, so every offset stays valid).
        let newest = exe
            .requirements
            .iter()
            .filter(|r| r.glibc().is_some())
            .max_by_key(|r| r.glibc())
            .unwrap()
            .clone();
        let old = newest.version.as_bytes();
        let mut new = b"GLIBC_".to_vec();
        new.extend(std::iter::repeat_n(b'9', old.len() - 8));
        new.extend(b".9");
        assert_eq!(new.len(), old.len());
        let at = bytes
            .windows(old.len() + 2)
            .position(|w| w[0] == 0 && &w[1..=old.len()] == old && w[old.len() + 1] == 0)
            .unwrap()
            + 1;
        bytes[at..at + old.len()].copy_from_slice(&new);
        let patched = inspect(&bytes).unwrap();
        let too_new = patched.glibc_newer_than((2, 34));
        assert_eq!(too_new.len(), 1, "{too_new:?}");
        assert_eq!(too_new[0].version.as_bytes(), &new[..]);
        assert_eq!(too_new[0].symbols, newest.symbols);
        assert!(patched.newest_glibc().unwrap() > (2, 34));
    }

    #[test]
    fn foreign_and_truncated_files_are_errors() {
        assert!(inspect(b"").unwrap_err().contains("not an ELF file"));
        assert!(
            inspect(b"#!/bin/sh\necho hi\n")
                .unwrap_err()
                .contains("not an ELF file")
        );
        assert!(inspect(b"\x7fELF\x01\x01").unwrap_err().contains("64-bit"));
        let bytes = this_executable();
        for len in [7, 20, 64, 4096, bytes.len() / 2] {
            // Never a panic; a header cut short is an error.
            let _ = inspect(&bytes[..len]);
        }
        assert!(inspect(&bytes[..20]).unwrap_err().contains("truncated"));
    }
}
