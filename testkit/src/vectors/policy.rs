//! Policy vectors: a policy file that must be refused when loaded.

use migseal::policy_file::{PolicyFile, TrustedKeyEntry};

use super::{VectorSet, err};

/// Adds this group.
pub(super) fn add(set: &mut VectorSet) {
    // A policy trusting a small-order key must be refused when loaded.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let weak = PolicyFile {
        trusted: vec![TrustedKeyEntry {
            public_key: hex::encode(identity),
            vendor: "linux".into(),
            device_types: vec![],
        }],
        ..PolicyFile::default()
    };
    let text = serde_json::to_string_pretty(&weak).unwrap_or_default() + "\n";
    set.simple(
        "policy",
        "policies",
        "json",
        "weak-key",
        text.into_bytes(),
        err(409, "weak-key"),
        "a small-order public key (the identity point) offered as trusted",
    );
}
