//! `checkCompat`: the compatibility check on two descriptors, with the
//! same result object as `migseal compat --json`.

use migseal_format::envelope::Descriptor;
use migseal_verifier::compat;
use serde_json::{Value, json};

use crate::error::{Failure, Input};

/// Checks whether `source`'s state can go to `destination` (both
/// canonical CBOR, as [`crate::inputs::descriptor_cbor`] makes them) and
/// lists every reason it cannot.
///
/// # Errors
///
/// A descriptor that does not decode (codes 100–299).
pub fn check_compat(source: &[u8], destination: &[u8]) -> Result<Value, Failure> {
    let src = Descriptor::decode(source).map_err(|e| Failure::format(Input::Source, &e))?;
    let dst = Descriptor::decode(destination).map_err(|e| Failure::format(Input::Destination, &e))?;
    let c = compat::check(&src, &dst);
    let reasons: Vec<Value> = c
        .reasons()
        .map(|r| json!({"code": r.code().code(), "name": r.code().name(), "message": r.to_string()}))
        .collect();
    Ok(json!({
        "verdict": if c.is_compatible() { "compatible" } else { "incompatible" },
        "compatible": c.is_compatible(),
        "chosen_version": c.chosen_version().map(|v| v.to_string()),
        "reason_count": c.total(),
        "reasons": reasons,
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::inputs::{DescriptorArg, descriptor_cbor};

    fn desc(role: &str, vendor: &str, versions: &str) -> Vec<u8> {
        let text = format!(
            r#"{{"role": "{role}", "vendor": "{vendor}", "device_api": "vfio-pci", "device_type": "mtty-2",
                "versions": ["{versions}"], "codecs": ["mtty"]}}"#
        );
        descriptor_cbor(Input::Source, DescriptorArg::Json(serde_json::from_str(&text).unwrap())).unwrap()
    }

    #[test]
    fn compatible_descriptors_report_the_chosen_version() {
        let r = check_compat(&desc("source", "linux", "1.0-1.7"), &desc("destination", "linux", "1.0-1.3"))
            .unwrap();
        assert_eq!(r["compatible"], true);
        assert_eq!(r["verdict"], "compatible");
        assert_eq!(r["chosen_version"], "1.3");
        assert_eq!(r["reasons"].as_array().unwrap().len(), 0);
    }

    #[test]
    fn every_reason_has_code_name_and_message() {
        let r =
            check_compat(&desc("source", "nvidia", "2.0"), &desc("destination", "linux", "1.0-1.3")).unwrap();
        assert_eq!(r["compatible"], false);
        assert_eq!(r["reason_count"], 2);
        assert_eq!(r["reasons"][0]["code"], 500);
        assert_eq!(r["reasons"][0]["name"], "vendor-mismatch");
        assert!(r["reasons"][0]["message"].as_str().unwrap().contains("vendor nvidia"));
        assert_eq!(r["reasons"][1]["code"], 503);
        assert_eq!(r["chosen_version"], Value::Null);
    }

    #[test]
    fn undecodable_bytes_name_the_argument() {
        let good = desc("destination", "linux", "1.0");
        let f = check_compat(&[0x80], &good).unwrap_err();
        assert_eq!(f.input, Input::Source);
        assert!(f.code.is_some());
        let f = check_compat(&good, &[]).unwrap_err();
        assert_eq!(f.input, Input::Destination);
    }
}
