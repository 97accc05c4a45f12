//! Reading inputs (files or stdin) and writing outputs atomically: a file
//! appears under its name complete, or not at all.

use std::fs::{File, Permissions};
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::error::{Exit, Failure, Result};

/// Largest policy, descriptor or header file read (they are small; this
/// keeps a wrong path such as a disk image from being slurped).
pub const MAX_SMALL_FILE: u64 = 4 << 20;

/// Reads a small file whole.
///
/// # Errors
///
/// I/O failures (exit 3), or a file over [`MAX_SMALL_FILE`] (exit 4).
pub fn read_small(path: &Path) -> Result<Vec<u8>> {
    let file = File::open(path).map_err(|e| Failure::io(path, "open it", &e))?;
    let mut bytes = Vec::new();
    file.take(MAX_SMALL_FILE.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::io(path, "read it", &e))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_SMALL_FILE {
        return Err(Failure::input(format!(
            "{}: larger than {MAX_SMALL_FILE} bytes: this is not a policy, descriptor, key or header file",
            path.display()
        )));
    }
    Ok(bytes)
}

/// Reads a small UTF-8 text file.
///
/// # Errors
///
/// As [`read_small`]; not UTF-8 (exit 4).
pub fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read_small(path)?)
        .map_err(|e| Failure::input(format!("{}: not UTF-8 text: {e}", path.display())))
}

/// An input stream: a file, or stdin for `-`.
pub struct Input {
    /// The name to show.
    pub name: String,
    /// The reader.
    pub reader: Box<dyn Read>,
    /// The size, when it is a regular file.
    pub len: Option<u64>,
}

/// Opens `path`, or stdin for `-`.
///
/// # Errors
///
/// I/O failures (exit 3).
pub fn open_input(path: &Path) -> Result<Input> {
    if path.as_os_str() == "-" {
        return Ok(Input { name: "<stdin>".into(), reader: Box::new(io::stdin().lock()), len: None });
    }
    let file = File::open(path).map_err(|e| Failure::io(path, "open it", &e))?;
    let meta = file.metadata().map_err(|e| Failure::io(path, "stat it", &e))?;
    if meta.is_dir() {
        return Err(Failure::new(Exit::Io, format!("{}: is a directory, not an image file", path.display())));
    }
    let len = meta.is_file().then_some(meta.len());
    Ok(Input { name: path.display().to_string(), reader: Box::new(file), len })
}

/// Reads into `buf` until it is full or the input ends; returns the
/// number of bytes read (short only at the end of the input).
///
/// # Errors
///
/// The reader's error.
pub fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0usize;
    while filled < buf.len() {
        let Some(rest) = buf.get_mut(filled..) else { break };
        match r.read(rest) {
            Ok(0) => break,
            Ok(n) => filled = filled.saturating_add(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads once, retrying on `Interrupted`.
///
/// # Errors
///
/// The reader's error.
pub fn read_some(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match r.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

/// A file being written next to its final name; it takes that name only
/// in [`Staged::commit`]. Dropped uncommitted, it disappears.
pub struct Staged {
    target: PathBuf,
    file: NamedTempFile,
}

impl Staged {
    /// Starts a file that will become `target`, with permissions `mode`.
    ///
    /// # Errors
    ///
    /// I/O failures (exit 3).
    pub fn new(target: &Path, mode: u32) -> Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file = tempfile::Builder::new()
            .prefix(".migseal-")
            .suffix(".tmp")
            .permissions(Permissions::from_mode(mode))
            .tempfile_in(&dir)
            .map_err(|e| Failure::io(&dir, "create a temporary file in it", &e))?;
        Ok(Self { target: target.to_path_buf(), file })
    }

    /// The final name.
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Writes bytes.
    ///
    /// # Errors
    ///
    /// I/O failures (exit 3).
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.file.write_all(bytes).map_err(|e| Failure::io(&self.target, "write it", &e))
    }

    /// Flushes to disk and gives the file its name; with `overwrite`
    /// false, refuses when the name exists (atomically).
    ///
    /// # Errors
    ///
    /// I/O failures or an existing file (exit 3).
    pub fn commit(self, overwrite: bool) -> Result<()> {
        let target = self.target;
        self.file.as_file().sync_all().map_err(|e| Failure::io(&target, "flush it", &e))?;
        let result = if overwrite {
            self.file.persist(&target).map(drop)
        } else {
            self.file.persist_noclobber(&target).map(drop)
        };
        result.map_err(|e| {
            if e.error.kind() == io::ErrorKind::AlreadyExists {
                Failure::new(
                    Exit::Io,
                    format!("{}: exists already; pass --force to replace it", target.display()),
                )
            } else {
                Failure::io(&target, "create it", &e.error)
            }
        })
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Writes `bytes` to `path` atomically (mode 0644), or to stdout for `-`
/// or `None`. Binary output to a terminal is refused when `binary`.
///
/// # Errors
///
/// I/O failures (exit 3); binary to a terminal (exit 2).
pub fn write_output(path: Option<&Path>, bytes: &[u8], binary: bool) -> Result<()> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            let mut staged = Staged::new(p, 0o644)?;
            staged.write_all(bytes)?;
            staged.commit(true)
        }
        _ => {
            let mut out = io::stdout().lock();
            if binary && out.is_terminal() {
                return Err(Failure::usage(
                    "refusing to write binary CBOR to a terminal: pass --out FILE, or --format json",
                ));
            }
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .map_err(|e| Failure::io(Path::new("<stdout>"), "write to it", &e))
        }
    }
}
