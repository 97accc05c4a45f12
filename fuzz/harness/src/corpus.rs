//! Seed corpora, derived from `spec/vectors` (never hand-written): image
//! vectors become stream inputs (with their policy and device selector and
//! a few fragment patterns) and are split into header, chunk and seal
//! records for the record decoders; CBOR, descriptor and device vectors and
//! the external RFC 8949 / RFC 7049 vectors seed the reader; the
//! structure-aware targets get a few fixed pseudo-random blobs.

use std::collections::BTreeMap;
use std::path::Path;

use migseal_format::cbor::skip_item;
use migseal_format::envelope::{ChunkHead, RecordType, SEAL_RECORD_LEN, peek_record_type};

use crate::stream;

/// Seeds per target: content → file name (without the `seed-` prefix).
pub type Corpus = BTreeMap<&'static str, BTreeMap<Vec<u8>, String>>;

fn add(corpus: &mut Corpus, target: &'static str, name: &str, bytes: &[u8]) {
    let name: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' })
        .collect();
    corpus.entry(target).or_default().entry(bytes.to_vec()).or_insert(name);
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Header record, chunk records (head and the start of the payload) and
/// seal record of an image, as far as they parse.
type Records<'a> = (Option<&'a [u8]>, Vec<&'a [u8]>, Option<&'a [u8]>);

fn split(image: &[u8]) -> Records<'_> {
    let Ok(header_len) = skip_item(image, 0, &[]) else { return (None, Vec::new(), None) };
    let mut chunks = Vec::new();
    let mut seal = None;
    let mut at = header_len;
    while at < image.len() {
        let rest = &image[at..];
        match peek_record_type(rest, 0) {
            Ok(RecordType::Chunk) => {
                let Ok(head) = ChunkHead::decode(rest, 0, u64::MAX) else { break };
                let end = head.head_len.saturating_add(usize::try_from(head.len).unwrap_or(usize::MAX));
                // The head and the start of the payload: the decoder never
                // looks further.
                chunks.push(&rest[..end.min(head.head_len + 32).min(rest.len())]);
                at = at.saturating_add(end);
            }
            Ok(RecordType::Seal) => {
                seal = Some(&rest[..SEAL_RECORD_LEN.min(rest.len())]);
                at += SEAL_RECORD_LEN;
            }
            _ => break,
        }
    }
    (image.get(..header_len), chunks, seal)
}

fn images(vectors: &Path, corpus: &mut Corpus) {
    let index: serde_json::Value =
        serde_json::from_slice(&read(&vectors.join("index.json"))).expect("index.json is JSON");
    for v in index["vectors"].as_array().expect("vectors array") {
        let (kind, file, name) =
            (v["kind"].as_str(), v["file"].as_str().unwrap_or(""), v["name"].as_str().unwrap_or(""));
        let bytes = read(&vectors.join(file));
        match kind {
            Some("image") => {
                let policy = v["policy"].as_str().unwrap_or("");
                let device = v["device"].as_str().unwrap_or("");
                if let Some(sel) = crate::setups::selector(policy, device) {
                    for (tag, sizes) in
                        [("whole", &[][..]), ("bytewise", &[1][..]), ("ragged", &[7, 13, 0, 3][..])]
                    {
                        let input = stream::layout(sel, sizes, &bytes);
                        add(corpus, "stream_fragments", &format!("{name}-{tag}"), &input);
                        add(corpus, "inspect_equals_verify", &format!("{name}-{tag}"), &input);
                        add(corpus, "differential", &format!("{name}-{tag}"), &input);
                    }
                } else {
                    eprintln!("note: {name}: no setup for {policy} with {device}; not a stream seed");
                }
                let (header, chunks, seal) = split(&bytes);
                if let Some(h) = header {
                    add(corpus, "decode_header", name, h);
                    add(corpus, "cbor_reader", &format!("header-{name}"), h);
                }
                for (i, c) in chunks.iter().enumerate() {
                    add(corpus, "decode_chunk_head", &format!("{name}-{i}"), c);
                }
                if let Some(s) = seal {
                    add(corpus, "decode_seal", name, s);
                    add(corpus, "cbor_reader", &format!("seal-{name}"), s);
                }
            }
            Some("descriptor") => {
                add(corpus, "decode_descriptor", name, &bytes);
                add(corpus, "cbor_reader", &format!("descriptor-{name}"), &bytes);
            }
            Some("cbor") => add(corpus, "cbor_reader", name, &bytes),
            _ => {}
        }
    }
    for entry in std::fs::read_dir(vectors.join("devices")).expect("devices/") {
        let path = entry.expect("entry").path();
        let name = format!("device-{}", path.file_stem().unwrap_or_default().to_string_lossy());
        let bytes = read(&path);
        add(corpus, "decode_descriptor", &name, &bytes);
        add(corpus, "cbor_reader", &name, &bytes);
    }
}

fn external(vectors: &Path, corpus: &mut Corpus) {
    let dir = vectors.join("external");
    for set in ["good", "bad"] {
        let bytes = read(&dir.join(format!("cbor-wg-{set}.cbor")));
        let value: ciborium::Value =
            ciborium::de::from_reader_with_recursion_limit(&bytes[..], 4096).expect("cbor-wg vectors decode");
        let tests = value
            .as_map()
            .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("tests")))
            .and_then(|(_, v)| v.as_array())
            .expect("a tests array");
        for (i, t) in tests.iter().enumerate() {
            let encoded = t
                .as_map()
                .and_then(|m| m.iter().find(|(k, _)| k.as_text() == Some("encoded")))
                .and_then(|(_, v)| v.as_bytes());
            if let Some(e) = encoded {
                add(corpus, "cbor_reader", &format!("cbor-wg-{set}-{i}"), e);
            }
        }
    }
    let json: serde_json::Value =
        serde_json::from_slice(&read(&dir.join("rfc7049-appendix_a.json"))).expect("rfc7049 JSON");
    for (i, t) in json.as_array().expect("array").iter().enumerate() {
        let hex = t["hex"].as_str().unwrap_or("");
        let bytes: Option<Vec<u8>> =
            (0..hex.len()).step_by(2).map(|j| u8::from_str_radix(hex.get(j..j + 2)?, 16).ok()).collect();
        if let Some(b) = bytes {
            add(corpus, "cbor_reader", &format!("rfc7049-{i}"), &b);
        }
    }
}

/// The structure-aware targets read `arbitrary` input: a few fixed
/// pseudo-random blobs give them a varied start.
fn blobs(corpus: &mut Corpus) {
    for target in [
        "seal_then_mutate",
        "sealed_structure",
        "compat_pairs",
        "policy_file",
        "sealer_calls",
        "codec_structured",
    ] {
        for (i, len) in [64usize, 256, 1024, 4096].into_iter().enumerate() {
            add(
                corpus,
                target,
                &format!("blob-{i}"),
                &migseal_testkit::samples::filler(&format!("{target}/{i}"), len),
            );
        }
    }
}

/// The shipped policy files as `policy_file` text inputs: a zero
/// discriminant picks the text variant, the rest of the input is the text.
fn policy_texts(corpus: &mut Corpus) {
    for (name, text) in crate::setups::POLICIES {
        let mut input = vec![0u8; 4];
        input.extend_from_slice(text);
        add(corpus, "policy_file", &format!("text-{name}"), &input);
    }
}

/// Codec payloads: the sample states the vectors carry, and the payload
/// of every image vector whose header names a built-in codec.
fn codec_payloads(vectors: &Path, corpus: &mut Corpus) {
    use migseal_codecs::{CodecId, Registry};
    use migseal_testkit::samples::states;
    let mut put = |codec: CodecId, device_type: &str, version: (u32, u32), name: &str, payload: &[u8]| {
        if let Some(sel) = crate::codecs::selector(codec, device_type, version) {
            let mut input = vec![sel];
            input.extend_from_slice(payload);
            add(corpus, crate::codecs::target_for(codec), name, &input);
        }
    };
    put(CodecId::Mtty, "mtty-2", (1, 0), "state-mtty2-busy", &states::mtty_bytes(&states::mtty2_busy()));
    put(CodecId::Mtty, "mtty-1", (1, 0), "state-mtty1-echo", &states::mtty_bytes(&states::mtty1_echo()));
    put(CodecId::VirtioDevParts, "virtio-net", (1, 0), "state-virtio-net", &states::virtio_net_stream(false));
    put(
        CodecId::VirtioDevParts,
        "virtio-net",
        (1, 0),
        "state-virtio-net-extra",
        &states::virtio_net_stream(true),
    );
    put(
        CodecId::VfioApMatrix,
        "vfio_ap-passthrough",
        (1, 0),
        "state-ap-matrix",
        &states::ap_matrix().to_bytes(),
    );

    for entry in std::fs::read_dir(vectors.join("images")).expect("images/") {
        let path = entry.expect("entry").path();
        let image = read(&path);
        let Ok(header_len) = skip_item(&image, 0, &[]) else { continue };
        let Ok(header) = migseal_format::envelope::Header::decode_record(&image[..header_len], 0) else {
            continue;
        };
        let id = migseal_verifier::ImageIdentity::of(&header);
        let Ok(codec) = Registry::find(&id) else { continue };
        let mut payload = Vec::new();
        let mut at = header_len;
        while let Ok(head) = ChunkHead::decode(image.get(at..).unwrap_or(&[]), 0, u64::MAX) {
            let start = at + head.head_len;
            let Some(data) = image.get(start..start + usize::try_from(head.len).unwrap_or(usize::MAX)) else {
                break;
            };
            payload.extend_from_slice(data);
            at = start + data.len();
        }
        let name = format!("image-{}", path.file_stem().unwrap_or_default().to_string_lossy());
        put(codec, id.device_type, id.state_version, &name, &payload);
    }
}

/// Every target's seeds, from the vectors in `vectors`.
///
/// # Panics
///
/// When a vector file is missing or malformed (the vectors are checked in).
#[must_use]
pub fn seeds(vectors: &Path) -> Corpus {
    let mut corpus = Corpus::new();
    images(vectors, &mut corpus);
    external(vectors, &mut corpus);
    codec_payloads(vectors, &mut corpus);
    blobs(&mut corpus);
    policy_texts(&mut corpus);
    corpus
}
