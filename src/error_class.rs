//! The class of a stable error code: which kind of refusal it is, by its
//! hundreds (spec §9). The CLI turns a class into its exit status and
//! prints it with `--json`; the WASM package puts it on the JavaScript
//! error. This is the one map from codes to classes.

/// What kind of refusal a stable code is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorClass {
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
    /// invariants of its codec.
    State,
}

impl ErrorClass {
    /// Every class, in the order of its codes.
    pub const ALL: [Self; 6] =
        [Self::Malformed, Self::Stream, Self::Trust, Self::Incompatible, Self::Signature, Self::State];

    /// The class of a stable code; `None` for a code outside 100–799 (the
    /// C ABI's 800–899 and unknown numbers).
    #[must_use]
    pub const fn of_code(code: u16) -> Option<Self> {
        match code {
            100..=299 => Some(Self::Malformed),
            300..=399 => Some(Self::Stream),
            400..=499 => Some(Self::Trust),
            500..=599 => Some(Self::Incompatible),
            600..=699 => Some(Self::Signature),
            700..=799 => Some(Self::State),
            _ => None,
        }
    }

    /// A few words for the class (the CLI's `--json` `class`, the WASM
    /// error's `class`).
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::Malformed => "malformed image or descriptor",
            Self::Stream => "stream structure or limits",
            Self::Trust => "trust or policy",
            Self::Incompatible => "incompatible device",
            Self::Signature => "signature",
            Self::State => "device state refused by its codec",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_every_layer_has_the_class_of_its_hundreds() {
        use migseal_verifier::compat::CompatCode;
        let format = migseal_format::ErrorCode::ALL.iter().map(|c| (c.code(), ErrorClass::Malformed));
        let compat = CompatCode::ALL.iter().map(|c| (c.code(), ErrorClass::Incompatible));
        let codecs = migseal_codecs::ErrorCode::ALL.iter().map(|c| (c.code(), ErrorClass::State));
        for (code, class) in format.chain(compat).chain(codecs) {
            assert_eq!(ErrorClass::of_code(code), Some(class), "{code}");
        }
        for row in migseal_verifier::ErrorKind::CODES {
            let class = ErrorClass::of_code(row.code);
            let want = match row.code / 100 {
                3 => ErrorClass::Stream,
                4 => ErrorClass::Trust,
                _ => ErrorClass::Signature,
            };
            assert_eq!(class, Some(want), "{}", row.name);
        }
        for outside in [0, 99, 800, 899, u16::MAX] {
            assert_eq!(ErrorClass::of_code(outside), None);
        }
    }
}
