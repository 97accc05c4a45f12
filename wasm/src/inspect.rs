//! `inspect`: what an image's header says about itself, UNVERIFIED. Only
//! the header record is read, so the first 4096 bytes of a file of any
//! size are enough (`file.slice(0, 4096)` in a browser).

use migseal::descriptor_json::DescriptorJson;
use migseal_format::envelope::Descriptor;
use migseal_verifier::Inspector;
use serde_json::{Value, json};

use crate::error::{Failure, Input};

/// Decodes the header record at the start of `bytes` (the whole image or
/// any prefix that holds the header) without trusting it: no policy, no
/// signature. The result is labelled `"verdict": "unverified"`.
///
/// # Errors
///
/// The structural refusal the verifier would give for the same header
/// (the verifier's own framing walk): not a header record (300, or a
/// format code), cut off (306), over the format's 4096-byte bound (302),
/// or a header field error.
pub fn inspect(bytes: &[u8]) -> Result<Value, Failure> {
    let mut inspector = Inspector::default();
    // Only the header matters here: what follows it may be any prefix of
    // the rest of the image.
    let fed = inspector.feed(bytes);
    let refused = |e: migseal_verifier::Error| Failure::verifier(Input::Image, &e, None);
    let Some((header, record)) = inspector.header() else {
        fed.map_err(refused)?;
        return Err(inspector
            .end_of_stream()
            .err()
            .map_or_else(|| Failure::invalid(Input::Image, "no header record was found"), refused));
    };
    Ok(json!({
        "verdict": "unverified",
        "warning": "what the image says about itself: nothing here is authenticated until verify() succeeds",
        "header": migseal::report_json::header_json(&header),
        "header_len": record.len(),
        "digests": { "header": inspector.facts().header_digest.map(hex::encode) },
        // What the verifier hands the compatibility check at restore time:
        // give it to checkCompat() to list every reason, not just the first.
        "source_descriptor": DescriptorJson::from_descriptor(&Descriptor::from_header(&header)),
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::fixtures::MTTY2_IMAGE as image;

    #[test]
    fn a_prefix_holding_the_header_is_enough() {
        let whole = inspect(image).unwrap();
        let len = usize::try_from(whole["header_len"].as_u64().unwrap()).unwrap();
        assert_eq!(inspect(&image[..len]).unwrap(), whole);
        assert_eq!(whole["verdict"], "unverified");
        assert_eq!(whole["header"]["device_type"], "mtty-2");
        assert_eq!(whole["source_descriptor"]["role"], "source");
        assert_eq!(whole["source_descriptor"]["versions"][0]["min"], whole["header"]["state_version"]);
        let f = inspect(&image[..len - 1]).unwrap_err();
        assert_eq!((f.code, f.name), (Some(306), Some("incomplete")));
    }

    #[test]
    fn what_is_not_a_header_is_refused_with_the_verifiers_code() {
        assert_eq!(inspect(&[]).unwrap_err().code, Some(306));
        // A chunk record first.
        assert_eq!(inspect(&[0x83, 0x01, 0x00, 0x41, 0x00]).unwrap_err().code, Some(300));
        // Not a record at all.
        let f = inspect(b"hello").unwrap_err();
        assert!(f.code.is_some_and(|c| (100..300).contains(&c)), "{f:?}");
    }
}
