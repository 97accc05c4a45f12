//! Key files, typed as minisign and signify type theirs: the first line
//! names the kind and the algorithm, the second holds 64 hex digits.
//!
//! ```text
//! migseal secret key (ed25519)        KEYFILE, mode 0600: the 32-byte seed
//! 0123...cdef
//! migseal public key (ed25519)        KEYFILE.pub: the public key, the
//! 0123...cdef                         same hex as a policy's public_key
//! ```
//!
//! A secret key is refused when the file is a public key, and when group
//! or others can read it (as ssh refuses), unless the caller explicitly
//! allows that. The old form (64 hex digits alone, which cannot tell a
//! secret from a public key) is still read for one release, with a warning.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use migseal_verifier::{Dalek, SealingKey};
use zeroize::Zeroizing;

use crate::error::{Exit, Failure, Result};
use crate::files::Staged;

/// The first line of a secret key file.
pub const SECRET_KIND: &str = "migseal secret key (ed25519)";
/// The first line of a public key file.
pub const PUBLIC_KIND: &str = "migseal public key (ed25519)";

/// What a key file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A typed secret key.
    Secret,
    /// A typed public key.
    Public,
    /// The old form: 64 hex digits alone.
    Untyped,
}

/// A parsed key file: its kind and its 32 bytes.
struct KeyText {
    kind: Kind,
    bytes: Zeroizing<[u8; 32]>,
}

fn parse(path: &Path, text: &[u8]) -> Result<KeyText> {
    let bad = || {
        Failure::input(format!(
            "{}: not a migseal key file (a first line `{SECRET_KIND}` or `{PUBLIC_KIND}`, then 64 hex \
             digits, as `migseal keygen` writes)",
            path.display()
        ))
    };
    let text = std::str::from_utf8(text).map_err(|_| bad())?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().ok_or_else(bad)?;
    let (kind, hex_line) = match first {
        SECRET_KIND => (Kind::Secret, lines.next().ok_or_else(bad)?),
        PUBLIC_KIND => (Kind::Public, lines.next().ok_or_else(bad)?),
        other => (Kind::Untyped, other),
    };
    if lines.next().is_some() {
        return Err(bad());
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    if hex_line.len() != 64 || hex::decode_to_slice(hex_line, bytes.as_mut_slice()).is_err() {
        return Err(bad());
    }
    Ok(KeyText { kind, bytes })
}

fn read_key_file(file: &mut fs::File, path: &Path) -> Result<Zeroizing<Vec<u8>>> {
    let mut text = Zeroizing::new(Vec::with_capacity(160));
    file.by_ref()
        .take(1024)
        .read_to_end(&mut text)
        .map_err(|e| Failure::io(path, "read the key file", &e))?;
    Ok(text)
}

/// The key id of a public key (what refusals and policies' `revoked` name).
#[must_use]
pub fn key_id(public_key: &[u8; 32]) -> [u8; 32] {
    migseal_verifier::key_id(&Dalek, public_key)
}

/// Reads a public key file (typed or the old form); given a secret key
/// file, returns its public key.
///
/// # Errors
///
/// I/O (exit 3), not a key file (exit 4).
pub fn load_public(path: &Path) -> Result<[u8; 32]> {
    let mut file = fs::File::open(path).map_err(|e| Failure::io(path, "open the key file", &e))?;
    let text = read_key_file(&mut file, path)?;
    let key = parse(path, &text)?;
    Ok(match key.kind {
        Kind::Secret => SealingKey::from_seed(&key.bytes).public_key(),
        Kind::Public | Kind::Untyped => *key.bytes,
    })
}

/// Where the public key of `secret` goes.
#[must_use]
pub fn public_path(secret: &Path) -> PathBuf {
    let mut s = secret.as_os_str().to_owned();
    s.push(".pub");
    PathBuf::from(s)
}

/// What `keygen` made.
pub struct Generated {
    /// The public key.
    pub public_key: [u8; 32],
    /// Its key id.
    pub key_id: [u8; 32],
    /// The public key file.
    pub public_path: PathBuf,
}

/// Generates a key pair: the seed from the OS, written to `secret` with
/// mode 0600 (created atomically, never printed), the public key to
/// `secret.pub`.
///
/// # Errors
///
/// An existing file without `force`, or I/O (exit 3).
pub fn generate(secret: &Path, force: bool) -> Result<Generated> {
    let public = public_path(secret);
    if !force {
        for p in [secret, public.as_path()] {
            if fs::symlink_metadata(p).is_ok() {
                return Err(crate::files::output_exists(p));
            }
        }
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice())
        .map_err(|e| Failure::new(Exit::Io, format!("cannot get random bytes from the OS: {e}")))?;
    let key = SealingKey::from_seed(&seed);
    let mut text = Zeroizing::new(format!("{SECRET_KIND}\n"));
    text.push_str(&Zeroizing::new(hex::encode(seed.as_slice())));
    text.push('\n');

    let mut staged = Staged::new(secret, 0o600)?;
    staged.write_all(text.as_bytes())?;
    staged.commit(force)?;

    let public_key = key.public_key();
    let mut staged = Staged::new(&public, 0o644)?;
    staged.write_all(format!("{PUBLIC_KIND}\n{}\n", hex::encode(public_key)).as_bytes())?;
    staged.commit(force)?;
    Ok(Generated { public_key, key_id: key.key_id(&Dalek), public_path: public })
}

/// Reads a secret key file. Refuses a public key file, and a secret key
/// that group or others may read unless `allow_insecure_permissions`.
///
/// # Errors
///
/// I/O (exit 3); a public key, not a key file, or readable by others
/// (exit 4). The message never shows the file's content.
pub fn load_secret(path: &Path, allow_insecure_permissions: bool) -> Result<SealingKey> {
    let mut file = fs::File::open(path).map_err(|e| Failure::io(path, "open the secret key", &e))?;
    let mode =
        file.metadata().map_err(|e| Failure::io(path, "stat the secret key", &e))?.permissions().mode();
    let text = read_key_file(&mut file, path)?;
    let key = parse(path, &text)?;
    let public_file = public_path(path);
    match key.kind {
        Kind::Public => {
            let hint = path
                .to_str()
                .and_then(|s| s.strip_suffix(".pub"))
                .map(|s| format!("; pass the secret key file {s} instead"))
                .unwrap_or_else(|| "; pass the secret key file that `migseal keygen` wrote beside it".into());
            return Err(Failure::input(format!(
                "{}: a public key file; sealing needs the secret key{hint}",
                path.display()
            )));
        }
        Kind::Untyped => {
            // The old form cannot say what it is: a file equal to the .pub
            // beside it, or named *.pub, is a public key.
            let is_public = path.extension().is_some_and(|e| e == "pub")
                || load_public(&public_file).is_ok_and(|p| p == *key.bytes);
            if is_public {
                return Err(Failure::input(format!(
                    "{}: a public key (the old untyped form); sealing needs the secret key file",
                    path.display()
                )));
            }
            eprintln!(
                "warning: {}: an old untyped key file (64 hex digits alone), read for this release only; \
                 make it typed by adding the first line `{SECRET_KIND}`",
                path.display()
            );
        }
        Kind::Secret => {}
    }
    if mode & 0o077 != 0 {
        let m = mode & 0o777;
        if !allow_insecure_permissions {
            return Err(Failure::input(format!(
                "{}: the secret key is readable by other users (mode {m:o}): run `chmod 600 {}`; \
                 --insecure-key-permissions overrides this, but anyone who can read the key can seal \
                 images your destinations trust",
                path.display(),
                path.display()
            )));
        }
        eprintln!(
            "warning: {}: the secret key is readable by other users (mode {m:o}); used because of \
             --insecure-key-permissions",
            path.display()
        );
    }
    Ok(SealingKey::from_seed(&key.bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_path_appends_pub() {
        assert_eq!(public_path(Path::new("dir/k")), PathBuf::from("dir/k.pub"));
        assert_eq!(public_path(Path::new("k.key")), PathBuf::from("k.key.pub"));
    }

    #[test]
    fn generated_keys_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let g = generate(&path, false).unwrap();
        assert_eq!(load_secret(&path, false).unwrap().public_key(), g.public_key);
        assert_eq!(load_public(&public_path(&path)).unwrap(), g.public_key);
        assert_eq!(load_secret(&public_path(&path), false).err().unwrap().exit, Exit::Input);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let again = generate(&path, false).err().unwrap();
        assert_eq!(again.exit, Exit::Io);
        assert_ne!(generate(&path, true).unwrap().public_key, g.public_key);
    }
}
