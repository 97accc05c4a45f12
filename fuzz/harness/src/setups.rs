//! The policies and destination devices the streaming target verifies
//! against: every loadable policy of `spec/vectors/policies` times every
//! device of `spec/vectors/devices`, built once per process.
//!
//! The files are compiled in, so a fuzz binary runs from any directory
//! (OSS-Fuzz runs them from `$OUT`, far from the source tree).

use std::sync::OnceLock;

use migseal::policy_file::PolicyFile;
use migseal_format::envelope::Descriptor;
use migseal_verifier::Policy;

macro_rules! vector {
    ($kind:literal, $name:literal) => {
        ($name, include_bytes!(concat!("../../../spec/vectors/", $kind, "/", $name)) as &[u8])
    };
}

/// Policy files, in selector order.
pub const POLICIES: &[(&str, &[u8])] = &[
    vector!("policies", "default.json"),
    vector!("policies", "session.json"),
    vector!("policies", "small-limits.json"),
    vector!("policies", "tiny-header.json"),
];

/// Destination descriptors, in selector order.
pub const DEVICES: &[(&str, &[u8])] = &[
    vector!("devices", "mtty-1.cbor"),
    vector!("devices", "mtty-2.cbor"),
    vector!("devices", "nvidia-35.cbor"),
    vector!("devices", "vfio-ap.cbor"),
    vector!("devices", "virtio-net.cbor"),
];

/// One verification context.
pub struct Setup {
    /// `policies/<name>` and `devices/<name>`, for messages.
    pub names: (&'static str, &'static str),
    /// The policy.
    pub policy: Policy,
    /// The destination device.
    pub device: Descriptor<'static>,
}

/// All setups: policy-major, device-minor.
pub fn all() -> &'static [Setup] {
    static SETUPS: OnceLock<Vec<Setup>> = OnceLock::new();
    SETUPS.get_or_init(|| {
        let mut out = Vec::new();
        for &(pname, ptext) in POLICIES {
            for &(dname, dbytes) in DEVICES {
                let policy = load_policy(pname, ptext);
                let device = Descriptor::decode(dbytes)
                    .unwrap_or_else(|e| panic!("devices/{dname} does not decode: {e}"));
                out.push(Setup { names: (pname, dname), policy, device });
            }
        }
        out
    })
}

/// The selector byte for `policies/<policy>` with `devices/<device>`
/// (file names as `spec/vectors/index.json` gives them, with or without
/// the folder).
pub fn selector(policy: &str, device: &str) -> Option<u8> {
    let base = |s: &str| s.rsplit('/').next().unwrap_or(s).to_owned();
    let (policy, device) = (base(policy), base(device));
    let p = POLICIES.iter().position(|(n, _)| *n == policy)?;
    let d = DEVICES.iter().position(|(n, _)| *n == device)?;
    u8::try_from(p * DEVICES.len() + d).ok()
}

/// Builds a policy from a shipped policy file, through the loader.
fn load_policy(name: &str, text: &[u8]) -> Policy {
    let text = std::str::from_utf8(text).expect("policy is UTF-8");
    let file = PolicyFile::from_json(text).unwrap_or_else(|e| panic!("policies/{name}: {e}"));
    file.to_policy().unwrap_or_else(|e| panic!("policies/{name} does not load: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setup_builds_and_selectors_round_trip() {
        let all = all();
        assert_eq!(all.len(), POLICIES.len() * DEVICES.len());
        for (i, s) in all.iter().enumerate() {
            assert_eq!(usize::from(selector(s.names.0, s.names.1).unwrap()), i);
        }
        assert_eq!(selector("policies/weak-key.json", "devices/mtty-2.cbor"), None);
    }
}
