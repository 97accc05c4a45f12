//! `spec/vectors/codecs/`: sealed images whose payloads are real device
//! states for the reference codecs, valid and invalid. Every image
//! verifies (the seal and the header are fine); what differs is what the
//! codec makes of the payload. `codecs/index.json` names, per vector, the
//! image, the raw payload, the destination and policy to verify with, and
//! the expected decode result: the decoded-state fixture for valid ones, a
//! code, name and byte offset (written here by hand from the layouts in
//! `spec/codecs.md`) for invalid ones.

use migseal_codecs::describe;
use migseal_codecs::virtio::DevPartsStream;
use migseal_verifier::SealingKey;
use serde_json::{Value, json};

use super::VectorSet;
use crate::samples::{HeaderSpec, seal_image, states};

/// The header specs of the main set, reused so the images verify against
/// the main set's devices and policy.
pub(super) struct Specs<'a> {
    /// mtty-1.
    pub mtty1: &'a HeaderSpec,
    /// mtty-2.
    pub mtty2: &'a HeaderSpec,
    /// virtio-net.
    pub vnet: &'a HeaderSpec,
    /// vfio-ap.
    pub ap: &'a HeaderSpec,
}

/// What decoding must give.
enum Decode {
    /// This decoded state.
    State(Value),
    /// This error.
    Error(u16, &'static str, u64),
}

struct Vector<'s> {
    name: &'static str,
    spec: &'s HeaderSpec,
    device: &'static str,
    payload: Vec<u8>,
    decode: Decode,
    description: &'static str,
}

fn pretty(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

fn edit(mut bytes: Vec<u8>, f: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    f(&mut bytes);
    bytes
}

/// Adds the codec vectors and their index.
#[allow(clippy::too_many_lines, clippy::indexing_slicing)]
pub(super) fn add(
    set: &mut VectorSet,
    s: &Specs<'_>,
    linux: &SealingKey,
    virtio: &SealingKey,
    ibm: &SealingKey,
) {
    let mtty2 = states::mtty2_busy();
    let mtty1 = states::mtty1_echo();
    let m2 = states::mtty_bytes(&mtty2);
    let m1 = states::mtty_bytes(&mtty1);
    let net = states::virtio_net_stream(false);
    let net_extra = states::virtio_net_stream(true);
    let matrix = states::ap_matrix();
    let virtio_json =
        |b: &[u8]| DevPartsStream::parse(b).map(|st| describe::virtio(&st)).unwrap_or(Value::Null);

    // virtio-net stream layout (see spec/codecs.md): record header 0..16;
    // DEV_FEATURES 16..40 (value 32..40); DRV_FEATURES 40..64 (value
    // 56..64); msix 64..82; num_queues 82..100; status 100..117; VQ_CFG
    // 0, 1, 2 at 117, 165, 213; VQ_NOTIFY_CFG at 261, 285, 309; the 0x200
    // part at 333..357.
    let vectors = vec![
        Vector {
            name: "mtty-2-busy",
            spec: s.mtty2,
            device: "mtty-2",
            payload: m2.clone(),
            decode: Decode::State(describe::mtty(&mtty2)),
            description: "two ports in use: 3 bytes waiting on port 0, a full wrapped FIFO and DLAB on port 1",
        },
        Vector {
            name: "mtty-1-echo",
            spec: s.mtty1,
            device: "mtty-1",
            payload: m1.clone(),
            decode: Decode::State(describe::mtty(&mtty1)),
            description: "one port, one byte echoed back and waiting",
        },
        Vector {
            name: "virtio-net-parts",
            spec: s.vnet,
            device: "virtio-net",
            payload: net.clone(),
            decode: Decode::State(virtio_json(&net)),
            description: "features, common config, DRIVER_OK, 3 enabled queues and their notify config, the MAC",
        },
        Vector {
            name: "virtio-net-optional-extras",
            spec: s.vnet,
            device: "virtio-net",
            payload: net_extra.clone(),
            decode: Decode::State(virtio_json(&net_extra)),
            description: "an unknown part and a record of an unknown tag, both flagged optional: carried, not refused",
        },
        Vector {
            name: "vfio-ap-matrix",
            spec: s.ap,
            device: "vfio-ap",
            payload: matrix.to_bytes().to_vec(),
            decode: Decode::State(describe::ap_matrix(&matrix)),
            description: "adapters 5, 6; usage and control domains 4, 0x47",
        },
        Vector {
            name: "mtty-2-wrong-magic",
            spec: s.mtty2,
            device: "mtty-2",
            payload: edit(m2.clone(), |b| b[0] ^= 0xff),
            decode: Decode::Error(710, "mtty-bad-magic", 0),
            description: "the magic's first byte flipped",
        },
        Vector {
            name: "mtty-2-one-port-header",
            spec: s.mtty2,
            device: "mtty-2",
            payload: edit(m2.clone(), |b| b[16] = 1),
            decode: Decode::Error(713, "mtty-port-count", 16),
            description: "nr_ports 1 in an mtty-2 state",
        },
        Vector {
            name: "mtty-2-fifo-head-overflow",
            spec: s.mtty2,
            device: "mtty-2",
            payload: edit(m2.clone(), |b| b[48] = 200),
            decode: Decode::Error(715, "mtty-fifo-index", 48),
            description: "port 0's FIFO head 200: mtty.c would index fifo[16] with it",
        },
        Vector {
            name: "mtty-2-fifo-count-overflow",
            spec: s.mtty2,
            device: "mtty-2",
            payload: edit(m2.clone(), |b| b[86] = 200),
            decode: Decode::Error(716, "mtty-fifo-count", 86),
            description: "port 1's FIFO count 200 of 16 slots",
        },
        Vector {
            name: "mtty-1-truncated",
            spec: s.mtty1,
            device: "mtty-1",
            payload: m1[..59].to_vec(),
            decode: Decode::Error(714, "mtty-size", 59),
            description: "59 bytes: the port is one byte short",
        },
        Vector {
            name: "virtio-state-sealed-as-mtty",
            spec: s.mtty2,
            device: "mtty-2",
            payload: net.clone(),
            decode: Decode::Error(710, "mtty-bad-magic", 0),
            description: "a virtio stream sealed under an mtty header reaches the mtty codec only, which refuses it",
        },
        Vector {
            name: "virtio-net-part-past-record",
            spec: s.vnet,
            device: "virtio-net",
            payload: edit(net.clone(), |b| b[333 + 12] = 9),
            decode: Decode::Error(700, "truncated", 357),
            description: "the last part declares 9 value bytes, 8 are left in its record",
        },
        Vector {
            name: "virtio-net-queue-index-out-of-range",
            spec: s.vnet,
            device: "virtio-net",
            payload: edit(net.clone(), |b| b[213 + 4] = 3),
            decode: Decode::Error(741, "virtio-queue-index", 217),
            description: "VQ_CFG for queue 3 of num_queues 3",
        },
        Vector {
            name: "virtio-net-unknown-mandatory-part",
            spec: s.vnet,
            device: "virtio-net",
            payload: edit(net.clone(), |b| {
                b[333] = 0x06;
                b[334] = 0x01;
            }),
            decode: Decode::Error(734, "virtio-unknown-part", 333),
            description: "part type 0x106 (reserved common) without the optional flag",
        },
        Vector {
            name: "virtio-net-feature-not-offered",
            spec: s.vnet,
            device: "virtio-net",
            payload: edit(net.clone(), |b| b[56 + 5] |= 0x01),
            decode: Decode::Error(744, "virtio-feature-not-offered", 56),
            description: "the driver features include bit 40, the device does not offer it",
        },
        Vector {
            name: "vfio-ap-matrix-short",
            spec: s.ap,
            device: "vfio-ap",
            payload: matrix.to_bytes()[..95].to_vec(),
            decode: Decode::Error(760, "ap-matrix-length", 95),
            description: "95 bytes instead of APM|AQM|ADM (96)",
        },
    ];

    let mut index = Vec::new();
    for v in vectors {
        let key = match v.spec.vendor.as_str() {
            "virtio" => virtio,
            "ibm" => ibm,
            _ => linux,
        };
        let base = format!("codecs/{}", v.name);
        let image = set.file(&format!("{base}.migseal"), seal_image(v.spec, key, &v.payload, 64));
        let payload = set.file(&format!("{base}.bin"), v.payload);
        let decode = match v.decode {
            Decode::State(state) => {
                let file = set.file(&format!("{base}.state.json"), pretty(&state));
                json!({ "result": "ok", "state": file })
            }
            Decode::Error(code, name, offset) => {
                json!({ "result": "error", "code": code, "name": name, "offset": offset })
            }
        };
        index.push(json!({
            "name": v.name,
            "image": image,
            "payload": payload,
            "device": format!("devices/{}.cbor", v.device),
            "policy": "policies/default.json",
            "verify": "ok",
            "decode": decode,
            "description": v.description,
        }));
    }
    let doc = json!({ "format": "migseal-codec-vectors-v1", "vectors": index });
    set.file("codecs/index.json", pretty(&doc));
}
