//! Reading inputs (files or stdin) and writing outputs atomically: a file
//! appears under its name complete, or not at all.

use std::fs::{File, Permissions};
use std::io::{self, IsTerminal, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;
use std::os::fd::AsRawFd;
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
    /// The file itself, when it is a regular file (for positioned reads;
    /// the same open file as `reader`).
    pub file: Option<File>,
}

/// Opens `path`, or stdin for `-`.
///
/// # Errors
///
/// I/O failures (exit 3).
pub fn open_input(path: &Path) -> Result<Input> {
    if path.as_os_str() == "-" {
        return Ok(Input {
            name: "<stdin>".into(),
            reader: Box::new(io::stdin().lock()),
            len: None,
            file: None,
        });
    }
    let file = File::open(path).map_err(|e| Failure::io(path, "open it", &e))?;
    let meta = file.metadata().map_err(|e| Failure::io(path, "stat it", &e))?;
    if meta.is_dir() {
        return Err(Failure::new(Exit::Io, format!("{}: is a directory, not an image file", path.display())));
    }
    let len = meta.is_file().then_some(meta.len());
    let regular = if meta.is_file() { file.try_clone().ok() } else { None };
    Ok(Input { name: path.display().to_string(), reader: Box::new(file), len, file: regular })
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

/// The message for an output that exists already (exit 3).
#[must_use]
pub fn output_exists(path: &Path) -> Failure {
    Failure::new(Exit::Io, format!("{}: output exists; pass --force to replace it", path.display()))
}

/// Refuses early when `target` exists and `force` is off, so a long seal
/// or verify does not run only to be refused at the end. [`Staged::commit`]
/// checks again, atomically.
///
/// # Errors
///
/// An existing output (exit 3).
pub fn check_output(target: &Path, force: bool) -> Result<()> {
    if !force && std::fs::symlink_metadata(target).is_ok() && !is_special(target) {
        return Err(output_exists(target));
    }
    Ok(())
}

/// Whether `target` is an existing device, pipe or socket (such as
/// `/dev/null` or `/dev/stdout`): written in place, never replaced by a
/// renamed file.
#[must_use]
pub fn is_special(target: &Path) -> bool {
    std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir())
}

/// Opens an existing device, pipe or socket for writing.
///
/// # Errors
///
/// I/O failures (exit 3).
pub fn open_special(target: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(target)
        .map_err(|e| Failure::io(target, "open it for writing", &e))
}

/// A file being written in the directory of its final name; it takes that
/// name only in [`Staged::commit`]. On Linux it is an unnamed `O_TMPFILE`
/// inode, linked into the directory (`linkat`) only when committed: a
/// signal, a crash or a refusal leaves nothing behind, because there is no
/// name to remove. Where the file system lacks `O_TMPFILE`, a hidden
/// `.migseal-*.tmp` file is used and removed when dropped.
pub struct Staged {
    target: PathBuf,
    dir: PathBuf,
    file: StagedFile,
}

enum StagedFile {
    Unnamed(File),
    Named(NamedTempFile),
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
        let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
        let file = match rustix::fs::openat(CWD, &dir, flags, Mode::from_raw_mode(mode)) {
            Ok(fd) => {
                // The umask may have narrowed the mode: set it exactly.
                rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode))
                    .map_err(|e| Failure::io(&dir, "set a temporary file's mode in it", &e.into()))?;
                StagedFile::Unnamed(File::from(fd))
            }
            Err(e) if [Errno::OPNOTSUPP, Errno::ISDIR, Errno::INVAL].contains(&e) => StagedFile::Named(
                tempfile::Builder::new()
                    .prefix(".migseal-")
                    .suffix(".tmp")
                    .permissions(Permissions::from_mode(mode))
                    .tempfile_in(&dir)
                    .map_err(|e| Failure::io(&dir, "create a temporary file in it", &e))?,
            ),
            Err(e) => return Err(Failure::io(&dir, "create a temporary file in it", &e.into())),
        };
        Ok(Self { target: target.to_path_buf(), dir, file })
    }

    /// The final name.
    #[must_use]
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The file being written (for positioned writes).
    #[must_use]
    pub fn as_file(&self) -> &File {
        match &self.file {
            StagedFile::Unnamed(f) => f,
            StagedFile::Named(n) => n.as_file(),
        }
    }

    /// Writes bytes.
    ///
    /// # Errors
    ///
    /// I/O failures (exit 3).
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        Write::write_all(self, bytes).map_err(|e| Failure::io(&self.target, "write it", &e))
    }

    /// Flushes to disk and gives the file its name; with `overwrite`
    /// false, refuses when the name exists (atomically).
    ///
    /// # Errors
    ///
    /// I/O failures or an existing file (exit 3).
    pub fn commit(self, overwrite: bool) -> Result<()> {
        let target = self.target;
        let exists_or = |e: io::Error| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                output_exists(&target)
            } else {
                Failure::io(&target, "create it", &e)
            }
        };
        match self.file {
            StagedFile::Named(n) => {
                n.as_file().sync_all().map_err(|e| Failure::io(&target, "flush it", &e))?;
                let result = if overwrite {
                    n.persist(&target).map(drop)
                } else {
                    n.persist_noclobber(&target).map(drop)
                };
                result.map_err(|e| exists_or(e.error))
            }
            StagedFile::Unnamed(f) => {
                f.sync_all().map_err(|e| Failure::io(&target, "flush it", &e))?;
                let proc_path = format!("/proc/self/fd/{}", f.as_raw_fd());
                let link = |to: &Path| {
                    rustix::fs::linkat(CWD, proc_path.as_str(), CWD, to, AtFlags::SYMLINK_FOLLOW)
                        .map_err(io::Error::from)
                };
                if !overwrite {
                    return link(&target).map_err(exists_or);
                }
                // linkat never replaces: link complete (verified) bytes under
                // a fresh hidden name, then rename over the target atomically.
                let mut last = None;
                for _ in 0..8 {
                    let mut tag = [0u8; 6];
                    getrandom::fill(&mut tag).map_err(|e| {
                        Failure::new(Exit::Io, format!("cannot get random bytes from the OS: {e}"))
                    })?;
                    let temp = self.dir.join(format!(".migseal-{}.tmp", hex::encode(tag)));
                    match link(&temp) {
                        Ok(()) => {
                            return std::fs::rename(&temp, &target).map_err(|e| {
                                let _ = std::fs::remove_file(&temp);
                                Failure::io(&target, "replace it", &e)
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                        Err(e) => return Err(Failure::io(&target, "create it", &e)),
                    }
                }
                Err(Failure::io(
                    &target,
                    "create it",
                    &last.unwrap_or_else(|| io::Error::other("no free name")),
                ))
            }
        }
    }
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.file {
            StagedFile::Unnamed(f) => f.write(buf),
            StagedFile::Named(n) => n.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        self.as_file().flush()
    }
}

/// Whether `path` names stdout: absent, `-`, or `/dev/stdout` (and its
/// aliases), so reports move to stderr for those too.
#[must_use]
pub fn is_stdout(path: Option<&Path>) -> bool {
    path.is_none_or(|p| {
        ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].iter().any(|s| p.as_os_str() == *s)
    })
}

/// Writes `bytes` to `path` atomically (mode 0644), or to stdout for `-`
/// or `None`. Binary output to a terminal is refused when `binary`. An
/// existing file is replaced only with `force`.
///
/// # Errors
///
/// I/O failures or an existing output (exit 3); binary to a terminal (exit 2).
pub fn write_output(path: Option<&Path>, bytes: &[u8], binary: bool, force: bool) -> Result<()> {
    match path {
        _ if is_stdout(path) => {}
        Some(p) if is_special(p) => {
            return open_special(p)?.write_all(bytes).map_err(|e| Failure::io(p, "write to it", &e));
        }
        Some(p) => {
            check_output(p, force)?;
            let mut staged = Staged::new(p, 0o644)?;
            staged.write_all(bytes)?;
            return staged.commit(force);
        }
        None => {}
    }
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
