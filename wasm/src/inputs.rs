//! A descriptor argument, once the edge has read it (canonical CBOR bytes,
//! or the CLI's JSON form), turned into the canonical CBOR the verifier
//! takes. Policies need no step here: the edge builds the same
//! [`migseal::policy_file::PolicyFile`] the CLI parses.

use migseal::descriptor_json::DescriptorJson;
use migseal_format::envelope::Descriptor;

use crate::error::{Failure, Input};

/// A descriptor argument.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DescriptorArg {
    /// Canonical CBOR, as devices publish it.
    Cbor(Vec<u8>),
    /// The JSON form.
    Json(DescriptorJson),
}

/// The canonical CBOR of a descriptor argument, decoded once to prove it
/// is a valid descriptor.
///
/// # Errors
///
/// A JSON form that does not encode (no code: the message names the
/// field), or the decoder's refusal of the CBOR (codes 100–299).
pub fn descriptor_cbor(input: Input, arg: DescriptorArg) -> Result<Vec<u8>, Failure> {
    let cbor = match arg {
        DescriptorArg::Cbor(bytes) => bytes,
        DescriptorArg::Json(json) => {
            json.encode().map_err(|e| Failure::invalid(input, format!("{}: {e}", input.name())))?
        }
    };
    Descriptor::decode(&cbor).map_err(|e| Failure::format(input, &e))?;
    Ok(cbor)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    const MTTY2_JSON: &str = r#"{"role": "destination", "vendor": "linux", "device_api": "vfio-pci",
        "device_type": "mtty-2", "versions": ["1.0-1.3"], "codecs": ["mtty"]}"#;

    fn json(text: &str) -> DescriptorArg {
        DescriptorArg::Json(serde_json::from_str(text).unwrap())
    }

    #[test]
    fn json_and_cbor_give_the_same_canonical_bytes() {
        let from_json = descriptor_cbor(Input::Device, json(MTTY2_JSON)).unwrap();
        let from_cbor = descriptor_cbor(Input::Device, DescriptorArg::Cbor(from_json.clone())).unwrap();
        assert_eq!(from_json, from_cbor);
        let d = Descriptor::decode(&from_json).unwrap();
        assert_eq!(d.identity.device_type.as_str(), "mtty-2");
    }

    #[test]
    fn broken_descriptors_say_which_argument_and_why() {
        let f =
            descriptor_cbor(Input::Destination, json(&MTTY2_JSON.replace("1.0-1.3", "1.3-1.0"))).unwrap_err();
        assert!(f.message.starts_with("destination: versions[0]"), "{}", f.message);
        assert_eq!(f.code, None);
        // Not CBOR at all: the decoder's stable code, offset included.
        let f = descriptor_cbor(Input::Device, DescriptorArg::Cbor(vec![0xff, 0x00])).unwrap_err();
        assert!(f.code.is_some_and(|c| (100..300).contains(&c)), "{f:?}");
        assert_eq!(f.offset, Some(0));
        assert!(f.message.starts_with("device: "), "{}", f.message);
    }
}
