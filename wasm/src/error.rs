//! Why a call failed, in the shape the JavaScript `Error` carries: the
//! stable code and name of spec §9 when one applies, the errno, the byte
//! offset, which argument is at fault, and the same message the CLI
//! prints.

use migseal::policy_file::PolicyFileError;
use serde_json::{Value, json};

/// The argument a failure is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// The image bytes (`verify`, `inspect`, `StreamVerifier.push`).
    Image,
    /// The trust policy.
    Policy,
    /// The destination device descriptor given to `verify`.
    Device,
    /// The source descriptor of `checkCompat`.
    Source,
    /// The destination descriptor of `checkCompat`.
    Destination,
    /// The bytes given to `validateCbor`.
    Bytes,
    /// The call itself (a `StreamVerifier` used after it finished).
    Call,
}

impl Input {
    /// The name used in messages and in the error's `input` property.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Image => "image",
            Self::Policy => "policy",
            Self::Device => "device",
            Self::Source => "source",
            Self::Destination => "destination",
            Self::Bytes => "bytes",
            Self::Call => "call",
        }
    }
}

/// A failure: a refused image, or an argument that is not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Which argument.
    pub input: Input,
    /// Stable code (spec §9); `None` for invalid JSON and similar input
    /// errors that have no code (the CLI's exit 4).
    pub code: Option<u16>,
    /// Stable short name of the code.
    pub name: Option<&'static str>,
    /// errno for kernel callers.
    pub errno: Option<i32>,
    /// Byte offset in the argument where the problem is.
    pub offset: Option<u64>,
    /// What happened and what to do.
    pub message: String,
}

impl Failure {
    /// A verifier refusal. Messages about the image are the verifier's own
    /// text; for other arguments `context` names the argument first.
    #[must_use]
    pub fn verifier(input: Input, e: &migseal_verifier::Error, context: Option<&str>) -> Self {
        let message = match context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        Self {
            input,
            code: Some(e.code()),
            name: Some(e.name()),
            errno: Some(e.errno()),
            offset: Some(e.offset()),
            message,
        }
    }

    /// A format (canonical CBOR / schema) refusal of a descriptor or bytes
    /// argument, prefixed with the argument's name.
    #[must_use]
    pub fn format(input: Input, e: &migseal_format::Error) -> Self {
        Self::verifier(input, &migseal_verifier::Error::from(*e), Some(input.name()))
    }

    /// An argument that is not valid and has no stable code.
    #[must_use]
    pub fn invalid(input: Input, message: impl Into<String>) -> Self {
        Self { input, code: None, name: None, errno: None, offset: None, message: message.into() }
    }

    /// A policy file whose entries cannot be used; the same messages and
    /// codes as `migseal verify --policy`.
    #[must_use]
    pub fn policy(e: &PolicyFileError) -> Self {
        match e {
            PolicyFileError::Json(_) | PolicyFileError::Field { .. } => {
                // "policy file: <field>: <what is wrong>"
                Self::invalid(Input::Policy, e.to_string())
            }
            PolicyFileError::Key { index, error } => {
                Self::verifier(Input::Policy, error, Some(&format!("policy: trusted[{index}]")))
            }
            PolicyFileError::Invalid { field, error } => {
                Self::verifier(Input::Policy, error, Some(&format!("policy: {field}")))
            }
        }
    }

    /// The properties the JavaScript `Error` carries besides its message.
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({
            "input": self.input.name(),
            "code": self.code,
            "codeName": self.name,
            "errno": self.errno,
            "offset": self.offset,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use migseal_verifier::ErrorKind;

    #[test]
    fn a_verifier_refusal_keeps_code_name_errno_and_offset() {
        let e = migseal_verifier::Error::new(ErrorKind::BadSignature, 77);
        let f = Failure::verifier(Input::Image, &e, None);
        assert_eq!((f.code, f.name, f.offset), (Some(600), Some("bad-signature"), Some(77)));
        assert_eq!(f.message, e.to_string());
        let j = f.to_json();
        assert_eq!(j["code"], 600);
        assert_eq!(j["codeName"], "bad-signature");
        assert_eq!(j["input"], "image");
        assert_eq!(j["errno"], e.errno());
    }

    #[test]
    fn policy_entries_are_named() {
        let file: migseal::policy_file::PolicyFile =
            serde_json::from_str(r#"{"trusted": [{"public_key": "00", "vendor": "linux"}]}"#).unwrap();
        let e = file.with_policy(|_| ()).unwrap_err();
        let f = Failure::policy(&e);
        assert_eq!((f.input, f.code), (Input::Policy, None));
        assert!(
            f.message.starts_with("policy file: trusted[0].public_key: expected 32 bytes"),
            "{}",
            f.message
        );
    }
}
