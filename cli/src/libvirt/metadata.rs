//! The migseal element of a domain's `<metadata>`
//! (`spec/libvirt-metadata.md`): one `<device>` per annotated host device,
//! keyed by its address, holding the device's source descriptor as
//! base64 of its canonical CBOR.
//!
//! ```xml
//! <metadata>
//!   <migseal:devices xmlns:migseal="https://migseal.dev/xmlns/libvirt/domain/1" version="1">
//!     <migseal:device type="mdev" address="83b8f4f2-509f-382f-3c1e-e6bfe0fa1001" alias="hostdev0">pQABAW...</migseal:device>
//!   </migseal:devices>
//! </metadata>
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use migseal_format::envelope::Descriptor;
use roxmltree::{Document, Node};

use super::address::{Address, Kind};
use crate::error::{Failure, Result};

/// The XML namespace of the element (an identifier; never fetched).
pub const NAMESPACE: &str = "https://migseal.dev/xmlns/libvirt/domain/1";
/// The namespace prefix migseal asks libvirt to use (`virsh metadata --key`).
pub const KEY: &str = "migseal";
/// The element directly under `<metadata>`.
pub const ROOT: &str = "devices";
/// One device's element.
pub const DEVICE: &str = "device";
/// The value of the root's `version` attribute this code writes and reads.
pub const VERSION: &str = "1";

/// One annotated device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its address on the source.
    pub address: Address,
    /// Its hostdev alias, when the domain XML had one.
    pub alias: Option<String>,
    /// The source descriptor, canonical CBOR.
    pub descriptor: Vec<u8>,
}

/// The element as `virsh metadata --set` takes it: no prefix and no
/// namespace declaration (libvirt adds both from `--uri` and `--key`).
#[must_use]
pub fn element_for_virsh(entries: &[Entry]) -> String {
    render(entries, "", "")
}

/// The element as it stands in a domain XML, with its namespace
/// declared: what `virsh dumpxml` shows after `virsh metadata --set`.
#[must_use]
pub fn element_in_domain(entries: &[Entry]) -> String {
    render(entries, &format!("{KEY}:"), &format!(" xmlns:{KEY}=\"{NAMESPACE}\""))
}

fn render(entries: &[Entry], prefix: &str, xmlns: &str) -> String {
    let mut s = format!("<{prefix}{ROOT}{xmlns} version=\"{VERSION}\">\n");
    for e in entries {
        // Addresses, aliases (libvirt: [A-Za-z0-9_-]) and base64 hold no
        // character XML would need escaped; aliases are checked anyway.
        let alias = e
            .alias
            .as_deref()
            .filter(|a| a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
            .map(|a| format!(" alias=\"{a}\""))
            .unwrap_or_default();
        s.push_str(&format!(
            "  <{prefix}{DEVICE} type=\"{}\" address=\"{}\"{alias}>{}</{prefix}{DEVICE}>\n",
            e.address.kind.as_str(),
            e.address.text,
            STANDARD.encode(&e.descriptor)
        ));
    }
    s.push_str(&format!("</{prefix}{ROOT}>"));
    s
}

/// The migseal element of a domain, if it has one.
///
/// # Errors
///
/// More than one migseal element (exit 4).
pub fn find<'a, 'i>(doc: &'a Document<'i>, origin: &str) -> Result<Option<Node<'a, 'i>>> {
    let root = doc.root_element();
    let mut found = root
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "metadata")
        .flat_map(|m| m.children())
        .filter(|c| c.is_element() && c.tag_name().namespace() == Some(NAMESPACE));
    let first = found.next();
    if found.next().is_some() {
        return Err(Failure::input(format!(
            "{origin}: more than one element in the migseal namespace {NAMESPACE} under <metadata>: \
             keep one (virsh metadata DOMAIN --uri {NAMESPACE} --key {KEY} --set ...)"
        )));
    }
    Ok(first)
}

/// Reads the entries of the migseal element of a domain: `None` when the
/// domain has none.
///
/// # Errors
///
/// An element that breaks `spec/libvirt-metadata.md`: unknown version
/// (exit 4), a missing or malformed attribute (4), a descriptor that is
/// not base64 (4) or not a canonical descriptor (its decoder code, 10).
/// Each message names the line and column.
pub fn read(doc: &Document<'_>, origin: &str) -> Result<Option<Vec<Entry>>> {
    let Some(root) = find(doc, origin)? else { return Ok(None) };
    let at = |n: Node<'_, '_>| {
        let p = doc.text_pos_at(n.range().start);
        format!("{origin}:{}:{}", p.row, p.col)
    };
    if root.tag_name().name() != ROOT {
        return Err(Failure::input(format!(
            "{}: <{}> in the migseal namespace: expected <{ROOT}>",
            at(root),
            root.tag_name().name()
        )));
    }
    match root.attribute("version") {
        Some(VERSION) => {}
        v => {
            return Err(Failure::input(format!(
                "{}: migseal metadata version {:?}: this migseal reads version {VERSION}; update migseal on this host",
                at(root),
                v.unwrap_or("(none)")
            )));
        }
    }
    let mut entries: Vec<Entry> = Vec::new();
    for d in root.children().filter(Node::is_element) {
        let ns = d.tag_name().namespace();
        if d.tag_name().name() != DEVICE || (ns.is_some() && ns != Some(NAMESPACE)) {
            return Err(Failure::input(format!(
                "{}: unexpected <{}>: expected <{DEVICE}>",
                at(d),
                d.tag_name().name()
            )));
        }
        let kind_text = d.attribute("type").unwrap_or("");
        let kind = Kind::parse(kind_text).ok_or_else(|| {
            Failure::input(format!("{}: <{DEVICE}> type {kind_text:?}: expected \"mdev\" or \"pci\"", at(d)))
        })?;
        let address = Address::parse(kind, d.attribute("address").unwrap_or(""))
            .map_err(|e| Failure::input(format!("{}: <{DEVICE}> address: {e}", at(d))))?;
        if entries.iter().any(|e| e.address == address) {
            return Err(Failure::input(format!("{}: a second <{DEVICE}> for {address}: keep one", at(d))));
        }
        let text: String = d.text().unwrap_or("").split_ascii_whitespace().collect();
        let descriptor = STANDARD.decode(text.as_bytes()).map_err(|e| {
            Failure::input(format!("{}: <{DEVICE}> for {address}: the descriptor is not base64: {e}", at(d)))
        })?;
        let where_ = format!("{} (<{DEVICE}> for {address})", at(d));
        Descriptor::decode(&descriptor).map_err(|e| Failure::format(&e, Some(&where_)))?;
        entries.push(Entry { address, alias: d.attribute("alias").map(str::to_owned), descriptor });
    }
    Ok(Some(entries))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn mtty() -> Vec<u8> {
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/vectors/devices/mtty-2.cbor")).unwrap()
    }

    #[test]
    fn what_is_written_is_read_back() {
        let e = Entry {
            address: Address::parse(Kind::Mdev, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001").unwrap(),
            alias: Some("hostdev0".into()),
            descriptor: mtty(),
        };
        let xml =
            format!("<domain><metadata>{}</metadata></domain>", element_in_domain(std::slice::from_ref(&e)));
        let doc = Document::parse(&xml).unwrap();
        assert_eq!(read(&doc, "d").unwrap(), Some(vec![e]));
        let doc = Document::parse("<domain><metadata/></domain>").unwrap();
        assert_eq!(read(&doc, "d").unwrap(), None);
    }

    #[test]
    fn bad_elements_are_refused_with_their_position() {
        let bad = format!(
            "<domain><metadata>\n<m:devices xmlns:m=\"{NAMESPACE}\" version=\"1\"><m:device type=\"mdev\" address=\"../x\">AA==</m:device></m:devices></metadata></domain>"
        );
        let e = read(&Document::parse(&bad).unwrap(), "d").unwrap_err();
        assert!(e.message.starts_with("d:2:77: <device> address:"), "{}", e.message);
        let v2 = format!(
            "<domain><metadata><m:devices xmlns:m=\"{NAMESPACE}\" version=\"2\"/></metadata></domain>"
        );
        let e = read(&Document::parse(&v2).unwrap(), "d").unwrap_err();
        assert!(e.message.contains("update migseal"), "{}", e.message);
        let notb64 = format!(
            "<domain><metadata><m:devices xmlns:m=\"{NAMESPACE}\" version=\"1\"><m:device type=\"pci\" address=\"0000:00:03.0\">!!</m:device></m:devices></metadata></domain>"
        );
        let e = read(&Document::parse(&notb64).unwrap(), "d").unwrap_err();
        assert!(e.message.contains("not base64"), "{}", e.message);
    }
}
