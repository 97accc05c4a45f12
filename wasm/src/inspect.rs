//! `inspect`: what an image's header says about itself, UNVERIFIED. Only
//! the header record is read, so the first 4096 bytes of a file of any
//! size are enough (`file.slice(0, 4096)` in a browser).

use migseal::descriptor_json::DescriptorJson;
use migseal_format::cbor::{len_u64, skip_item};
use migseal_format::envelope::{
    DOMAIN_HEADER, Descriptor, Header, MAX_HEADER_LEN, RecordType, peek_record_type,
};
use migseal_verifier::{Crypto, Dalek, ErrorKind};
use serde_json::{Value, json};

use crate::error::{Failure, Input};

fn refused(kind: ErrorKind, at: u64) -> Failure {
    Failure::verifier(Input::Image, &migseal_verifier::Error::new(kind, at), None)
}

fn format_refusal(e: migseal_format::Error) -> Failure {
    Failure::verifier(Input::Image, &migseal_verifier::Error::from(e), None)
}

/// Decodes the header record at the start of `bytes` (the whole image or
/// any prefix that holds the header) without trusting it: no policy, no
/// signature. The result is labelled `"verdict": "unverified"`.
///
/// # Errors
///
/// The structural refusal the verifier would give for the same header:
/// not a header record (300, or a format code), cut off (306), over the
/// format's 4096-byte bound (302), or a header field error.
pub fn inspect(bytes: &[u8]) -> Result<Value, Failure> {
    let window = bytes.get(..MAX_HEADER_LEN.min(bytes.len())).unwrap_or(&[]);
    let incomplete = || refused(ErrorKind::Incomplete { state: "inside its header record" }, 0);
    match peek_record_type(window, 0) {
        Ok(RecordType::Header) => {}
        Ok(other) => {
            let found = if other == RecordType::Chunk { "chunk" } else { "seal" };
            return Err(refused(ErrorKind::RecordOrder { expected: "a header record", found }, 0));
        }
        Err(e) if e.is_truncated() => return Err(incomplete()),
        Err(e) => return Err(format_refusal(e)),
    }
    let len = match skip_item(window, 0, &[]) {
        Ok(len) => len,
        Err(e) if e.is_truncated() && window.len() >= MAX_HEADER_LEN => {
            return Err(refused(ErrorKind::HeaderTooLarge { limit: len_u64(MAX_HEADER_LEN) }, 0));
        }
        Err(e) if e.is_truncated() => return Err(incomplete()),
        Err(e) => return Err(format_refusal(e)),
    };
    let record = window.get(..len).unwrap_or(&[]);
    let header = Header::decode_record(record, 0).map_err(format_refusal)?;
    Ok(json!({
        "verdict": "unverified",
        "warning": "what the image says about itself: nothing here is authenticated until verify() succeeds",
        "header": migseal::report_json::header_json(&header),
        "header_len": len,
        "digests": { "header": hex::encode(Dalek.digest(&[DOMAIN_HEADER, record])) },
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
