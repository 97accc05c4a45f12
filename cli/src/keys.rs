//! Key files: the secret seed (64 hex digits, mode 0600) and the public
//! key beside it (`KEYFILE.pub`, 64 hex digits, the same form as
//! `spec/vectors/keys/*.pub` and the policy's `public_key`).

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use migseal_verifier::{Dalek, SealingKey};
use zeroize::Zeroizing;

use crate::error::{Exit, Failure, Result};
use crate::files::Staged;

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
                return Err(Failure::new(
                    Exit::Io,
                    format!("{}: exists already; pass --force to replace it", p.display()),
                ));
            }
        }
    }
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut_slice())
        .map_err(|e| Failure::new(Exit::Io, format!("cannot get random bytes from the OS: {e}")))?;
    let key = SealingKey::from_seed(&seed);
    let mut text = Zeroizing::new(hex::encode(seed.as_slice()));
    text.push('\n');

    let mut staged = Staged::new(secret, 0o600)?;
    staged.write_all(text.as_bytes())?;
    staged.commit(force)?;

    let public_key = key.public_key();
    let mut staged = Staged::new(&public, 0o644)?;
    staged.write_all(format!("{}\n", hex::encode(public_key)).as_bytes())?;
    staged.commit(force)?;
    Ok(Generated { public_key, key_id: key.key_id(&Dalek), public_path: public })
}

/// Reads a secret key file. Warns on stderr when others may read it.
///
/// # Errors
///
/// I/O (exit 3), or not 64 hex digits (exit 4). The message never shows
/// the file's content.
pub fn load_secret(path: &Path) -> Result<SealingKey> {
    let mut file = fs::File::open(path).map_err(|e| Failure::io(path, "open the secret key", &e))?;
    if let Ok(meta) = file.metadata()
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "warning: {}: the secret key is readable by other users (mode {:o}); run chmod 600 on it",
            path.display(),
            meta.permissions().mode() & 0o777
        );
    }
    let mut text = Zeroizing::new(Vec::with_capacity(80));
    file.by_ref()
        .take(256)
        .read_to_end(&mut text)
        .map_err(|e| Failure::io(path, "read the secret key", &e))?;
    let trimmed = text.trim_ascii();
    let mut seed = Zeroizing::new([0u8; 32]);
    if trimmed.len() != 64 || hex::decode_to_slice(trimmed, seed.as_mut_slice()).is_err() {
        return Err(Failure::input(format!(
            "{}: not a migseal secret key (64 hex digits, as `migseal keygen` writes)",
            path.display()
        )));
    }
    Ok(SealingKey::from_seed(&seed))
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
        assert_eq!(load_secret(&path).unwrap().public_key(), g.public_key);
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let again = generate(&path, false).err().unwrap();
        assert_eq!(again.exit, Exit::Io);
        assert_ne!(generate(&path, true).unwrap().public_key, g.public_key);
    }
}
