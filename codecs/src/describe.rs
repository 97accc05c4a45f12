//! Decoded states as JSON (feature `json`): what `migseal verify --decode`
//! prints and what the decoded-state fixtures in `spec/vectors/codecs/`
//! hold. Byte arrays are lower-case hex strings, 64-bit addresses and
//! feature words `0x`-prefixed hex, everything else plain numbers.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde_json::{Value, json};

use crate::mtty::{MttyState, SerialPort};
use crate::registry::Decoded;
use crate::vfio_ap::{ApMatrix, Mask, sysfs};
use crate::virtio::{DevPartsStream, Features, Part, Record};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The JSON description of any decoded state.
#[must_use]
pub fn to_json(state: &Decoded<'_>) -> Value {
    match state {
        Decoded::Mtty(s) => mtty(s),
        Decoded::VirtioDevParts(s) => virtio(s),
        Decoded::VfioApMatrix(m) => ap_matrix(m),
    }
}

/// An mtty state.
#[must_use]
pub fn mtty(s: &MttyState) -> Value {
    json!({
        "codec": "mtty",
        "device_type": s.kind().device_type(),
        "nr_ports": s.kind().ports(),
        "ports": s.ports().iter().map(port).collect::<Vec<_>>(),
    })
}

fn port(p: &SerialPort) -> Value {
    let r = &p.rxtx;
    let reg = |i: usize| p.uart_reg.get(i).copied().unwrap_or(0);
    // The bytes a guest read would return next, oldest first.
    let pending: Vec<u8> = (0..r.count)
        .map(|k| r.fifo.get(usize::from(r.tail.wrapping_add(k) % 16)).copied().unwrap_or(0))
        .collect();
    json!({
        "registers": { "ier": reg(1), "lcr": reg(3), "mcr": reg(4), "scr": reg(7) },
        "rxtx": { "fifo": hex(&r.fifo), "head": r.head, "tail": r.tail, "count": r.count, "pending": hex(&pending) },
        "dlab": p.dlab,
        "overrun": p.overrun,
        "divisor": p.divisor,
        "fcr": p.fcr,
        "max_fifo_size": p.max_fifo_size,
        "intr_trigger_level": p.intr_trigger_level,
    })
}

/// A VIRTIO device-parts stream.
#[must_use]
pub fn virtio(s: &DevPartsStream<'_>) -> Value {
    let records: Vec<Value> = s
        .records()
        .map(|r| match r {
            Record::DeviceData(list) => json!({
                "tag": "DEVICE_DATA",
                "parts": list.parts().map(|p| part(&p)).collect::<Vec<_>>(),
            }),
            Record::Optional { tag, data } => json!({ "tag": tag, "optional": true, "data": hex(data) }),
        })
        .collect();
    json!({ "codec": "virtio-dev-parts", "records": records })
}

fn features(f: &Features<'_>) -> Value {
    Value::from(f.words().map(|w| format!("0x{w:016x}")).collect::<Vec<_>>())
}

const STATUS_BITS: [(u8, &str); 6] = [
    (1, "ACKNOWLEDGE"),
    (2, "DRIVER"),
    (4, "DRIVER_OK"),
    (8, "FEATURES_OK"),
    (64, "DEVICE_NEEDS_RESET"),
    (128, "FAILED"),
];

fn part(p: &Part<'_>) -> Value {
    match p {
        Part::DevFeatures(f) => json!({ "type": "DEV_FEATURES", "feature_bits": features(f) }),
        Part::DrvFeatures(f) => json!({ "type": "DRV_FEATURES", "feature_bits": features(f) }),
        Part::PciCommonCfg { field, value } => json!({
            "type": "PCI_COMMON_CFG", "field": field.name(), "offset": field.offset(), "value": value,
        }),
        Part::DeviceStatus(s) => json!({
            "type": "DEVICE_STATUS",
            "status": s,
            "bits": STATUS_BITS.iter().filter(|(b, _)| s & b != 0).map(|(_, n)| *n).collect::<Vec<_>>(),
        }),
        Part::VqCfg { index, cfg } => json!({
            "type": "VQ_CFG", "index": index, "queue_size": cfg.queue_size, "vector": cfg.vector,
            "enabled": cfg.enabled, "queue_desc": format!("0x{:x}", cfg.queue_desc),
            "queue_driver": format!("0x{:x}", cfg.queue_driver), "queue_device": format!("0x{:x}", cfg.queue_device),
        }),
        Part::VqNotifyCfg { index, notify } => json!({
            "type": "VQ_NOTIFY_CFG", "index": index, "queue_notify_off": notify.queue_notify_off,
            "queue_notif_config_data": notify.queue_notif_config_data,
        }),
        Part::DeviceSpecific { part_type, optional, selector, value } => json!({
            "type": "DEVICE_SPECIFIC", "part_type": format!("0x{part_type:03x}"), "optional": optional,
            "selector": hex(selector), "value": hex(value),
        }),
        Part::UnknownOptional { part_type, selector, value } => json!({
            "type": "UNKNOWN_OPTIONAL", "part_type": format!("0x{part_type:03x}"),
            "selector": hex(selector), "value": hex(value),
        }),
    }
}

/// A vfio-ap matrix.
#[must_use]
pub fn ap_matrix(m: &ApMatrix) -> Value {
    let mut ap_config = String::new();
    let _ = sysfs::write_ap_config(m, &mut ap_config);
    json!({
        "codec": "vfio-ap-matrix",
        "adapters": m.ids(Mask::Adapters).collect::<Vec<_>>(),
        "domains": m.ids(Mask::Domains).collect::<Vec<_>>(),
        "control_domains": m.ids(Mask::ControlDomains).collect::<Vec<_>>(),
        "ap_config": ap_config.trim_end(),
    })
}
