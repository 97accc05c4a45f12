//! What the hook and the annotate command read from a libvirt domain XML:
//! its name and its host devices (`/domain/devices/hostdev`), and where
//! the `<metadata>` element goes when the annotated XML is written out.

use roxmltree::{Document, Node};

use super::address::{Address, Kind};
use crate::error::{Failure, Result};

/// A `<hostdev mode='subsystem'>` of type `mdev` or `pci`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hostdev {
    /// Its source address.
    pub address: Address,
    /// Its `<alias name=...>`, stable across a migration.
    pub alias: Option<String>,
}

impl Hostdev {
    /// `mdev 83b8... (alias hostdev0)`.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.alias {
            Some(a) => format!("{} (alias {a})", self.address),
            None => self.address.to_string(),
        }
    }
}

/// Parses domain XML text.
///
/// # Errors
///
/// Exit 4 with the line and column of the XML error.
pub fn parse<'a>(text: &'a str, origin: &str) -> Result<Document<'a>> {
    let doc =
        Document::parse(text).map_err(|e| Failure::input(format!("{origin}: not well-formed XML: {e}")))?;
    if doc.root_element().tag_name().name() != "domain" {
        return Err(Failure::input(format!(
            "{origin}: the root element is <{}>, not <domain>: give a domain XML (virsh dumpxml DOMAIN)",
            doc.root_element().tag_name().name()
        )));
    }
    Ok(doc)
}

/// The domain's `<name>`.
#[must_use]
pub fn name(doc: &Document<'_>) -> Option<String> {
    child(doc.root_element(), "name").and_then(|n| n.text()).map(|t| t.trim().to_owned())
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && c.tag_name().name() == name && c.tag_name().namespace().is_none())
}

/// Every `<hostdev mode='subsystem' type='mdev|pci'>` under
/// `/domain/devices`, in document order.
///
/// # Errors
///
/// A hostdev whose source address is missing or malformed (exit 4).
pub fn hostdevs(doc: &Document<'_>, origin: &str) -> Result<Vec<Hostdev>> {
    let Some(devices) = child(doc.root_element(), "devices") else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for h in devices.children().filter(|c| c.is_element() && c.tag_name().name() == "hostdev") {
        if h.attribute("mode") != Some("subsystem") {
            continue;
        }
        let Some(kind) = h.attribute("type").and_then(Kind::parse) else { continue };
        let pos = doc.text_pos_at(h.range().start);
        let at = format!("{origin}:{}:{}", pos.row, pos.col);
        let addr = child(h, "source").and_then(|s| child(s, "address")).ok_or_else(|| {
            Failure::input(format!(
                "{at}: <hostdev type='{}'> has no <source><address .../></source>",
                kind.as_str()
            ))
        })?;
        let address = match kind {
            Kind::Mdev => {
                let uuid = addr.attribute("uuid").unwrap_or("");
                Address::parse(Kind::Mdev, uuid)
            }
            Kind::Pci => {
                let get = |n: &str| addr.attribute(n).unwrap_or("0");
                Address::pci(get("domain"), get("bus"), get("slot"), get("function"))
            }
        }
        .map_err(|e| Failure::input(format!("{at}: <hostdev type='{}'>: {e}", kind.as_str())))?;
        let alias = child(h, "alias").and_then(|a| a.attribute("name")).map(str::to_owned);
        out.push(Hostdev { address, alias });
    }
    Ok(out)
}

/// The domain XML text with `element` (a complete, namespaced metadata
/// child) in its `<metadata>`: replacing the element found at `existing`,
/// else appended inside an existing `<metadata>`, else in a new
/// `<metadata>` where libvirt puts it (after `<uuid>`, `<name>`, `<title>`
/// or `<description>`). Everything else is kept byte for byte.
#[must_use]
pub fn with_metadata(
    text: &str,
    doc: &Document<'_>,
    element: &str,
    existing: Option<std::ops::Range<usize>>,
) -> String {
    let splice = |at: std::ops::Range<usize>, insert: &str| {
        let mut s = String::with_capacity(text.len().saturating_add(insert.len()));
        s.push_str(text.get(..at.start).unwrap_or(""));
        s.push_str(insert);
        s.push_str(text.get(at.end..).unwrap_or(""));
        s
    };
    if let Some(range) = existing {
        let indent = indent_before(text, range.start).unwrap_or_default();
        return splice(range.clone(), &indented(element, &indent));
    }
    let root = doc.root_element();
    if let Some(meta) = child(root, "metadata") {
        let inner_indent =
            indent_before(text, meta.range().start).map(|i| format!("{i}  ")).unwrap_or_default();
        let block = format!("{inner_indent}{}\n", indented(element, &inner_indent));
        // Before the closing tag (or expand an empty `<metadata/>`).
        let r = meta.range();
        let body = text.get(r.clone()).unwrap_or("");
        if body.ends_with("/>") {
            let outer = indent_before(text, r.start).unwrap_or_default();
            return splice(r, &format!("<metadata>\n{block}{outer}</metadata>"));
        }
        let close = r.end.saturating_sub("</metadata>".len());
        let line_start = text.get(..close).and_then(|t| t.rfind('\n')).map_or(close, |n| n.saturating_add(1));
        return splice(line_start..line_start, &block);
    }
    let anchor = ["description", "title", "uuid", "name"].iter().find_map(|n| child(root, n));
    let (at, indent) = match anchor {
        Some(a) => (a.range().end, indent_before(text, a.range().start).unwrap_or_default()),
        None => (
            text.get(root.range())
                .and_then(|t| t.find('>'))
                .map_or(0, |i| root.range().start.saturating_add(i).saturating_add(1)),
            "  ".to_owned(),
        ),
    };
    let inner = format!("{indent}  ");
    let block = format!("\n{indent}<metadata>\n{inner}{}\n{indent}</metadata>", indented(element, &inner));
    splice(at..at, &block)
}

/// The whitespace between the start of the line and `pos`, when the line
/// holds only whitespace before it.
fn indent_before(text: &str, pos: usize) -> Option<String> {
    let before = text.get(..pos)?;
    let line = before.rsplit('\n').next()?;
    line.chars().all(|c| c == ' ' || c == '\t').then(|| line.to_owned())
}

fn indented(element: &str, indent: &str) -> String {
    element.trim().lines().collect::<Vec<_>>().join(&format!("\n{indent}"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const XML: &str = "<domain type='kvm'>\n  <name>g</name>\n  <uuid>u</uuid>\n  <devices>\n    \
<hostdev mode='subsystem' type='mdev' model='vfio-pci'>\n      <source>\n        \
<address uuid='83b8f4f2-509f-382f-3c1e-e6bfe0fa1001'/>\n      </source>\n      <alias name='hostdev0'/>\n    \
</hostdev>\n    <hostdev mode='subsystem' type='pci' managed='yes'>\n      <source>\n        \
<address domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>\n      </source>\n    </hostdev>\n    \
<hostdev mode='capabilities' type='storage'><source><block>/dev/sda</block></source></hostdev>\n  \
</devices>\n</domain>\n";

    #[test]
    fn finds_mdev_and_pci_hostdevs() {
        let doc = parse(XML, "x").unwrap();
        let h = hostdevs(&doc, "x").unwrap();
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].address.text, "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
        assert_eq!(h[0].alias.as_deref(), Some("hostdev0"));
        assert_eq!(h[1].address, Address::parse(Kind::Pci, "0000:00:03.0").unwrap());
        assert_eq!(name(&doc).as_deref(), Some("g"));
    }

    #[test]
    fn metadata_goes_after_uuid_and_everything_else_is_kept() {
        let doc = parse(XML, "x").unwrap();
        let out = with_metadata(XML, &doc, "<m:x xmlns:m=\"urn:x\">\n  <m:y/>\n</m:x>", None);
        assert!(out.contains("  <uuid>u</uuid>\n  <metadata>\n    <m:x xmlns:m=\"urn:x\">\n      <m:y/>\n    </m:x>\n  </metadata>\n  <devices>"), "{out}");
        assert_eq!(
            out.replace(
                "\n  <metadata>\n    <m:x xmlns:m=\"urn:x\">\n      <m:y/>\n    </m:x>\n  </metadata>",
                ""
            ),
            XML
        );
    }

    #[test]
    fn a_bad_address_names_line_and_column() {
        let bad = XML.replace("83b8f4f2-509f", "../../x");
        let doc = parse(&bad, "d.xml").unwrap();
        let e = hostdevs(&doc, "d.xml").unwrap_err();
        assert!(e.message.starts_with("d.xml:5:5: <hostdev type='mdev'>"), "{}", e.message);
    }
}
