//! Failures of the CLI and the exit code each maps to.

use std::fmt;
use std::path::Path;

/// The process exit codes (documented in `migseal --help`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Verified, compatible, done.
    Success,
    /// A bug in migseal.
    Internal,
    /// Bad command-line arguments.
    Usage,
    /// A file could not be read or written.
    Io,
    /// A policy, descriptor, key or header file is not valid, and no
    /// stable code applies (JSON syntax, bad hex, unknown field).
    Input,
    /// Codes 100–299: the bytes are not a well-formed image or descriptor.
    Malformed,
    /// Codes 300–399: records out of order, cut off, or over a limit.
    Stream,
    /// Codes 400–499: trust, revocation, rollback, session, subject.
    Trust,
    /// Codes 500–599: the state is not for this device.
    Incompatible,
    /// Codes 600–699: the signature does not verify.
    Signature,
    /// Codes 700–799: the image verified, but its payload breaks the
    /// invariants of its codec (`verify --decode`).
    State,
}

impl Exit {
    /// The number the process exits with.
    #[must_use]
    pub const fn code(self) -> u8 {
        match self {
            Self::Success => 0,
            Self::Internal => 1,
            Self::Usage => 2,
            Self::Io => 3,
            Self::Input => 4,
            Self::Malformed => 10,
            Self::Stream => 11,
            Self::Trust => 12,
            Self::Incompatible => 13,
            Self::Signature => 14,
            Self::State => 15,
        }
    }

    /// The class of a stable error code (spec §9).
    #[must_use]
    pub const fn of_code(code: u16) -> Self {
        match code {
            100..=299 => Self::Malformed,
            300..=399 => Self::Stream,
            400..=499 => Self::Trust,
            500..=599 => Self::Incompatible,
            600..=699 => Self::Signature,
            700..=799 => Self::State,
            _ => Self::Internal,
        }
    }

    /// A few words for the class.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Internal => "internal error",
            Self::Usage => "usage error",
            Self::Io => "I/O error",
            Self::Input => "invalid input file",
            Self::Malformed => "malformed image or descriptor",
            Self::Stream => "stream structure or limits",
            Self::Trust => "trust or policy",
            Self::Incompatible => "incompatible device",
            Self::Signature => "signature",
            Self::State => "device state refused by its codec",
        }
    }
}

/// The exit code table, for the long help text and the README.
pub const EXIT_CODE_TABLE: &str = "\
Exit codes:
   0  success: verified / compatible / done
   1  internal error (a bug in migseal: please report it)
   2  usage: bad command-line arguments
   3  I/O: a file could not be read or written, or exists already
   4  invalid input file: policy, descriptor, key or header file (JSON
      syntax, bad hex, unknown field); the message names file and line
  10  malformed image or descriptor (codes 100-299: not canonical CBOR,
      not the v1 schema)
  11  stream structure or limits (codes 300-399: records out of order,
      cut off, over a policy limit)
  12  trust or policy (codes 400-499: untrusted, out-of-scope or revoked
      key, rollback, session, subject, weak key)
  13  incompatible device (codes 500-599: vendor, device API or type,
      version, feature, config, codec, role)
  14  signature (codes 600-699: bad or non-canonical signature, invalid key)
  15  device state refused (verify --decode, codes 700-799: the image
      verified, but its payload breaks its codec's invariants)";

/// Why a command failed: the exit class, the stable code when there is
/// one, and a message that names the file and says what to do.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Exit class.
    pub exit: Exit,
    /// Stable code (spec §9).
    pub code: Option<u16>,
    /// Stable short name.
    pub name: Option<&'static str>,
    /// errno for kernel callers.
    pub errno: Option<i32>,
    /// Byte offset in the input.
    pub offset: Option<u64>,
    /// The message (the same text every front end gives for the code).
    pub message: String,
    /// A line people read before the message, such as "this is not a
    /// migseal image"; JSON field `summary`.
    pub summary: Option<String>,
    /// A line people read after the message: where to look next; JSON
    /// field `hint`.
    pub hint: Option<String>,
}

impl Failure {
    /// A failure without a stable code.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            code: None,
            name: None,
            errno: None,
            offset: None,
            message: message.into(),
            summary: None,
            hint: None,
        }
    }

    /// An I/O failure on `path`.
    pub fn io(path: &Path, what: &str, e: &std::io::Error) -> Self {
        Self::new(Exit::Io, format!("{}: cannot {what}: {e}", path.display()))
    }

    /// A usage failure.
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// An invalid input file.
    pub fn input(message: impl Into<String>) -> Self {
        Self::new(Exit::Input, message)
    }

    /// A verifier error, with `context` (a file name) before its message.
    pub fn verifier(e: &migseal_verifier::Error, context: Option<&str>) -> Self {
        let message = match context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        Self {
            exit: Exit::of_code(e.code()),
            code: Some(e.code()),
            name: Some(e.name()),
            errno: Some(e.errno()),
            offset: Some(e.offset()),
            message,
            summary: None,
            hint: None,
        }
    }

    /// A codec error (the payload of a verified image).
    pub fn codec(e: &migseal_codecs::Error) -> Self {
        Self {
            exit: Exit::of_code(e.code().code()),
            code: Some(e.code().code()),
            name: Some(e.code().name()),
            errno: Some(e.code().errno()),
            offset: Some(e.offset()),
            message: format!("payload {e}"),
            summary: None,
            hint: None,
        }
    }

    /// A format error, with `context` before its message.
    pub fn format(e: &migseal_format::Error, context: Option<&str>) -> Self {
        Self::verifier(&migseal_verifier::Error::from(*e), context)
    }

    /// The JSON object for `--json` output.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "exit": self.exit.code(),
            "class": self.exit.describe(),
            "code": self.code,
            "name": self.name,
            "errno": self.errno,
            "offset": self.offset,
            "message": self.message,
            "summary": self.summary,
            "hint": self.hint,
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Shorthand.
pub type Result<T> = std::result::Result<T, Failure>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_its_own_number() {
        let all = [
            Exit::Success,
            Exit::Internal,
            Exit::Usage,
            Exit::Io,
            Exit::Input,
            Exit::Malformed,
            Exit::Stream,
            Exit::Trust,
            Exit::Incompatible,
            Exit::Signature,
            Exit::State,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(EXIT_CODE_TABLE.contains(&format!("{:>4}  ", a.code())), "{a:?} missing from the table");
            for b in all.iter().skip(i.saturating_add(1)) {
                assert_ne!(a.code(), b.code());
            }
        }
        assert_eq!(Exit::of_code(500), Exit::Incompatible);
        assert_eq!(Exit::of_code(112), Exit::Malformed);
        assert_eq!(Exit::of_code(306), Exit::Stream);
        assert_eq!(Exit::of_code(409), Exit::Trust);
        assert_eq!(Exit::of_code(601), Exit::Signature);
        assert_eq!(Exit::of_code(715), Exit::State);
    }
}
