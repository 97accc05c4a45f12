//! The policies and destination devices the streaming target verifies
//! against: every loadable policy of `spec/vectors/policies` times every
//! device of `spec/vectors/devices`, built once per process.
//!
//! The files are compiled in, so a fuzz binary runs from any directory
//! (OSS-Fuzz runs them from `$OUT`, far from the source tree).

use std::sync::OnceLock;

use migseal::policy_file::PolicyFile;
use migseal_format::Ident;
use migseal_format::envelope::{Descriptor, IdentList, KeyId};
use migseal_verifier::{Dalek, Limits, MinSecurity, Policy, TrustedKey};

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
    pub policy: Policy<'static>,
    /// The destination device.
    pub device: Descriptor<'static>,
}

/// All setups: policy-major, device-minor.
pub fn all() -> &'static [Setup] {
    static SETUPS: OnceLock<Vec<Setup>> = OnceLock::new();
    SETUPS.get_or_init(|| {
        let mut out = Vec::new();
        for &(pname, ptext) in POLICIES {
            let policy = leak_policy(pname, ptext);
            for &(dname, dbytes) in DEVICES {
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

fn leak<T>(v: Vec<T>) -> &'static [T] {
    Vec::leak(v)
}

fn ident(s: &str) -> Ident<'static> {
    let s: &'static str = String::leak(s.to_owned());
    Ident::new(s).unwrap_or_else(|e| panic!("policy names {s:?}, not an identifier: {e}"))
}

fn hex32(s: &str) -> [u8; 32] {
    let v: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex in a shipped policy"))
        .collect();
    <[u8; 32]>::try_from(v.as_slice()).expect("32 bytes in a shipped policy")
}

/// Builds a `'static` policy from a shipped policy file. Test tooling:
/// it leaks, once per process.
fn leak_policy(name: &str, text: &[u8]) -> Policy<'static> {
    let text = std::str::from_utf8(text).expect("policy is UTF-8");
    let file = PolicyFile::from_json(text).unwrap_or_else(|e| panic!("policies/{name}: {e}"));
    let trusted: Vec<TrustedKey<'static>> = file
        .trusted
        .iter()
        .map(|t| {
            let mut types: Vec<Ident<'static>> = t.device_types.iter().map(|s| ident(s)).collect();
            types.sort_by(|a, b| (a.as_str().len(), a.as_str()).cmp(&(b.as_str().len(), b.as_str())));
            types.dedup();
            let types = IdentList::from_slice(leak(types), 32).expect("device types fit");
            TrustedKey::new(&Dalek, hex32(&t.public_key), ident(&t.vendor), types).expect("trusted key")
        })
        .collect();
    let revoked: Vec<KeyId> = file.revoked.iter().map(|r| hex32(r)).collect();
    let min_security: Vec<MinSecurity<'static>> = file
        .min_security
        .iter()
        .map(|m| MinSecurity {
            vendor: ident(&m.vendor),
            device_type: m.device_type.as_deref().map(ident),
            minimum: m.minimum,
        })
        .collect();
    let session: Option<&'static [u8]> = file.session.as_deref().map(|s| {
        let v: Vec<u8> = (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex session"))
            .collect();
        leak(v)
    });
    let d = Limits::DEFAULT;
    let l = &file.limits;
    let policy = Policy {
        trusted: leak(trusted),
        revoked: leak(revoked),
        min_security: leak(min_security),
        session,
        subject: file.subject.as_deref().map(|s| &*String::leak(s.to_owned())),
        limits: Limits {
            max_header_len: l.max_header_len.unwrap_or(d.max_header_len),
            max_chunk_len: l.max_chunk_len.unwrap_or(d.max_chunk_len),
            max_chunks: l.max_chunks.unwrap_or(d.max_chunks),
            max_total_len: l.max_total_len.unwrap_or(d.max_total_len),
        },
    };
    // The policy file loader is the reference: this copy must be exactly
    // the policy it builds.
    file.with_policy(|p| assert_eq!(*p, policy, "policies/{name}: leaked copy differs from the loader's"))
        .unwrap_or_else(|e| panic!("policies/{name} does not load: {e}"));
    policy
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
