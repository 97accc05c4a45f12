//! Every comparison the benchmarks make: which criterion benchmark is
//! migseal, which is its reference, and the goal of issue 8. The bench
//! binaries print these after their run; the report puts them in
//! BENCHMARKS.md. One table, so the two cannot disagree.

/// A goal on the ratio between migseal and its reference.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Goal {
    /// migseal's speed at least this multiple of the reference's
    /// (reference time / migseal time ≥ x).
    SpeedAtLeast(f64),
    /// migseal's time at most this multiple of the reference's
    /// (migseal time / reference time ≤ x).
    TimeAtMost(f64),
    /// No goal: the figure is shown for context.
    None,
}

/// The outcome of a goal.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// Met.
    Met,
    /// Missed; the shortfall relative to the goal (0.05 = 5 % short).
    Missed(f64),
    /// Nothing to meet.
    NoGoal,
}

impl Goal {
    /// The ratio to show for `subject_ns` against `reference_ns`: a speed
    /// ratio for [`Goal::SpeedAtLeast`] and [`Goal::None`], a time ratio
    /// for [`Goal::TimeAtMost`].
    #[must_use]
    pub fn ratio(self, subject_ns: f64, reference_ns: f64) -> f64 {
        match self {
            Self::TimeAtMost(_) => subject_ns / reference_ns,
            Self::SpeedAtLeast(_) | Self::None => reference_ns / subject_ns,
        }
    }

    /// Whether `ratio` (as [`Goal::ratio`] gives it) meets the goal.
    #[must_use]
    pub fn judge(self, ratio: f64) -> Outcome {
        match self {
            Self::SpeedAtLeast(min) if ratio >= min => Outcome::Met,
            Self::SpeedAtLeast(min) => Outcome::Missed((min - ratio) / min),
            Self::TimeAtMost(max) if ratio <= max => Outcome::Met,
            Self::TimeAtMost(max) => Outcome::Missed((ratio - max) / max),
            Self::None => Outcome::NoGoal,
        }
    }

    /// The goal in words: `≥ 0.95× speed`, `≤ 1.05× time`.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            Self::SpeedAtLeast(x) => format!("≥ {x}× the reference's speed"),
            Self::TimeAtMost(x) => format!("≤ {x}× the reference's time"),
            Self::None => "none (context)".into(),
        }
    }

    /// How [`Goal::ratio`] reads: `speed` or `time`.
    #[must_use]
    pub const fn ratio_kind(self) -> &'static str {
        match self {
            Self::TimeAtMost(_) => "time",
            Self::SpeedAtLeast(_) | Self::None => "speed",
        }
    }
}

impl Comparison {
    /// The goal's number (0 without a goal).
    #[must_use]
    pub const fn goal_min(&self) -> f64 {
        match self.goal {
            Goal::SpeedAtLeast(x) | Goal::TimeAtMost(x) => x,
            Goal::None => 0.0,
        }
    }
}

/// One comparison between criterion benchmarks of one group.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Comparison {
    /// What is measured, for people.
    pub title: &'static str,
    /// The criterion group.
    pub group: &'static str,
    /// The benchmark that measures migseal.
    pub subject: &'static str,
    /// The reference benchmarks; their times add up (coset + ciborium).
    pub reference: &'static [&'static str],
    /// The reference, for people.
    pub reference_title: &'static str,
    /// The goal on the ratio.
    pub goal: Goal,
    /// An absolute limit on migseal's time per iteration, in nanoseconds.
    pub max_ns: Option<f64>,
    /// The image's chunk size, for the streaming comparisons.
    pub chunk_bytes: Option<u64>,
}

const fn stream(group: &'static str, title: &'static str, chunk: u64) -> Comparison {
    Comparison {
        title,
        group,
        subject: "migseal",
        reference: &["sha256"],
        reference_title: "sha2 SHA-256 over the same bytes",
        goal: Goal::SpeedAtLeast(0.95),
        max_ns: None,
        chunk_bytes: Some(chunk),
    }
}

/// Streaming verification against the hash (`benches/stream.rs`).
pub const STREAM: &[Comparison] = &[
    stream("stream-64KiB", "streaming verify, 64 KiB chunks", 64 << 10),
    stream("stream-1MiB", "streaming verify, 1 MiB chunks", 1 << 20),
    stream("stream-16MiB", "streaming verify, 16 MiB chunks", 16 << 20),
];

/// Parallel against single-threaded verification, and how far raw
/// SHA-256 scales on the same cores (`benches/parallel.rs`).
pub const PARALLEL: &[Comparison] = &[
    Comparison {
        title: "parallel verify, 1 MiB chunks, threads = cores",
        group: "parallel-1MiB",
        subject: "parallel",
        reference: &["single-thread"],
        reference_title: "verify_image on one thread",
        goal: Goal::SpeedAtLeast(1.8),
        max_ns: None,
        chunk_bytes: None,
    },
    Comparison {
        title: "raw SHA-256 split over threads = cores (what this machine's cores allow)",
        group: "parallel-1MiB",
        subject: "sha256-threads",
        reference: &["sha256-1-thread"],
        reference_title: "sha2 SHA-256 on one thread",
        goal: Goal::None,
        max_ns: None,
        chunk_bytes: None,
    },
];

/// Group of the header path comparison.
pub const HEADER_GROUP: &str = "header";

/// Header and seal parsing with policy checks (`benches/header.rs`).
pub const HEADER: &[Comparison] = &[Comparison {
    title: "header + seal parsing, compat and policy checks (no signature math)",
    group: HEADER_GROUP,
    subject: "migseal",
    reference: &["coset-sign1", "ciborium-serde-header"],
    reference_title: "coset COSE_Sign1 parse + ciborium serde header decode",
    goal: Goal::TimeAtMost(0.5),
    max_ns: Some(2000.0),
    chunk_bytes: None,
}];

/// The steps of migseal's header path, measured alone to show where its
/// time goes (`benches/header.rs`, group `header-parts`).
pub const HEADER_PARTS: &[(&str, &str)] = &[
    ("verifier-new", "Verifier::with_crypto (zeroes the 4 KiB header buffer)"),
    ("header-decode", "Header::decode_record (canonical CBOR, every field; once per image)"),
    ("header-rebuild", "HeaderRecord::header (the verdict's header, from the positions kept at decoding)"),
    ("compat-check", "compat::check of the header against the device"),
    ("policy-check", "Policy::check_header (trust, scope, revocation, rollback, session, subject)"),
    ("header-hash", "SHA-256 of the header record"),
    ("seal-decode", "Seal::decode_record (COSE_Sign1: the one 154-byte layout, compared)"),
];

/// The signature step (`benches/signature.rs`).
pub const SIGNATURE: &[Comparison] = &[
    Comparison {
        title: "signature step (finish: S check, Sig_structure, verify_strict with the key decoded when trusted)",
        group: "signature",
        subject: "migseal",
        reference: &["verify-strict"],
        reference_title: "ed25519-dalek verify_strict, key already decoded",
        goal: Goal::TimeAtMost(1.05),
        max_ns: None,
        chunk_bytes: None,
    },
    Comparison {
        title: "signature step, against the reference that decodes the key too",
        group: "signature",
        subject: "migseal",
        reference: &["decode-key+verify-strict"],
        reference_title: "ed25519-dalek VerifyingKey::from_bytes + verify_strict",
        goal: Goal::None,
        max_ns: None,
        chunk_bytes: None,
    },
];

/// Sealing against the hash (`benches/seal.rs`).
pub const SEAL: &[Comparison] = &[Comparison {
    title: "sealing, 1 MiB chunks (hashing, heads, signature)",
    group: "seal-1MiB",
    subject: "migseal",
    reference: &["sha256"],
    reference_title: "sha2 SHA-256 over the same payload",
    goal: Goal::None,
    max_ns: None,
    chunk_bytes: None,
}];

/// Every comparison, in report order.
#[must_use]
pub fn all() -> Vec<&'static Comparison> {
    [STREAM, PARALLEL, HEADER, SIGNATURE, SEAL, crate::fragments::FRAGMENTS].into_iter().flatten().collect()
}

/// Compatibility checks are measured alone (no peer does this): group and
/// benchmark names with their titles (`benches/compat.rs`).
pub const COMPAT: &[(&str, &str, &str)] = &[
    ("compat", "check-virtio-net", "compat::check, virtio-net (versions, 3 of 4 features, codec)"),
    ("compat", "check-vfio-ap", "compat::check, vfio-ap (shell config compared byte for byte)"),
    ("compat", "decode+check-virtio-net", "decode both CBOR descriptors + compat::check, virtio-net"),
];

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic,
    clippy::unreachable
)]
mod tests {
    use super::*;

    #[test]
    fn ratios_read_the_right_way() {
        // Subject twice as slow as the reference.
        assert!((Goal::SpeedAtLeast(0.95).ratio(200.0, 100.0) - 0.5).abs() < 1e-9);
        assert!((Goal::TimeAtMost(1.05).ratio(200.0, 100.0) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn goals_judge_and_size_the_miss() {
        assert_eq!(Goal::SpeedAtLeast(0.95).judge(0.96), Outcome::Met);
        assert_eq!(Goal::SpeedAtLeast(0.95).judge(0.95), Outcome::Met);
        let Outcome::Missed(m) = Goal::SpeedAtLeast(2.0).judge(1.5) else { panic!("must miss") };
        assert!((m - 0.25).abs() < 1e-9);
        assert_eq!(Goal::TimeAtMost(1.05).judge(1.0), Outcome::Met);
        let Outcome::Missed(m) = Goal::TimeAtMost(0.5).judge(0.75) else { panic!("must miss") };
        assert!((m - 0.5).abs() < 1e-9);
        assert_eq!(Goal::None.judge(0.1), Outcome::NoGoal);
    }

    #[test]
    fn table_is_consistent() {
        let all = all();
        assert!(all.len() >= 8);
        for c in &all {
            assert!(!c.reference.is_empty(), "{}", c.title);
            assert!(!c.reference.contains(&c.subject), "{}", c.title);
        }
    }
}
