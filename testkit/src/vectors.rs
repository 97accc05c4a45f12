//! The deterministic generator of `spec/vectors`: every file is a pure
//! function of the fixed test keys and the tables below, so regenerating
//! must reproduce the committed bytes exactly (a test checks it).
//!
//! Expected results are written here by hand, per vector, from the spec;
//! they are never computed by running the verifier.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use migseal_verifier::{Dalek, SealingKey};

mod cbor;
mod codecs;
mod compat;
mod descriptors;
mod fixtures;
mod header_schema;
mod policy;
mod precedence;
mod tampering;
mod trust;
mod valid;

/// What a vector must give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Accepted.
    Ok,
    /// Refused with this stable code and name.
    Error(u16, &'static str),
}

/// One index entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Unique name.
    pub name: String,
    /// `image`, `descriptor`, `cbor` or `policy`.
    pub kind: &'static str,
    /// Path of the input, relative to the vectors folder.
    pub file: String,
    /// Destination descriptor (images only).
    pub device: Option<String>,
    /// Policy (images only).
    pub policy: Option<String>,
    /// Expected result.
    pub expect: Expect,
    /// What the vector exercises.
    pub description: String,
}

/// All files and the index.
#[derive(Clone, Debug, Default)]
pub struct VectorSet {
    /// Path → bytes, relative to the vectors folder.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The index entries, in order.
    pub entries: Vec<Entry>,
}

fn kid_hex(k: &SealingKey) -> String {
    hex::encode(k.key_id(&Dalek))
}

fn pk_hex(k: &SealingKey) -> String {
    hex::encode(k.public_key())
}

/// The session nonce the `session` policy requires.
pub const SESSION: [u8; 16] = *b"migration-0001\0\0";
/// The subject the `session` policy requires.
pub const SUBJECT: &str = "vm-6f1e3c2a-0b5d-4e1f-9a7c-1d2e3f4a5b6c";

impl VectorSet {
    fn file(&mut self, path: &str, bytes: Vec<u8>) -> String {
        self.files.insert(path.to_owned(), bytes);
        path.to_owned()
    }

    #[allow(clippy::too_many_arguments)]
    fn image(
        &mut self,
        name: &str,
        bytes: Vec<u8>,
        device: &str,
        policy: &str,
        expect: Expect,
        description: &str,
    ) {
        let file = self.file(&format!("images/{name}.migseal"), bytes);
        self.entries.push(Entry {
            name: name.to_owned(),
            kind: "image",
            file,
            device: Some(format!("devices/{device}.cbor")),
            policy: Some(format!("policies/{policy}.json")),
            expect,
            description: description.to_owned(),
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn simple(
        &mut self,
        kind: &'static str,
        dir: &str,
        ext: &str,
        name: &str,
        bytes: Vec<u8>,
        expect: Expect,
        d: &str,
    ) {
        let file = self.file(&format!("{dir}/{name}.{ext}"), bytes);
        self.entries.push(Entry {
            name: name.to_owned(),
            kind,
            file,
            device: None,
            policy: None,
            expect,
            description: d.to_owned(),
        });
    }

    /// The index as JSON (stable formatting, one entry per line block).
    #[must_use]
    pub fn index_json(&self) -> String {
        let entries: Vec<serde_json::Value> = self
            .entries
            .iter()
            .map(|e| {
                let mut m = serde_json::Map::new();
                m.insert("name".into(), e.name.clone().into());
                m.insert("kind".into(), e.kind.into());
                m.insert("file".into(), e.file.clone().into());
                if let Some(d) = &e.device {
                    m.insert("device".into(), d.clone().into());
                }
                if let Some(p) = &e.policy {
                    m.insert("policy".into(), p.clone().into());
                }
                let expect = match e.expect {
                    Expect::Ok => serde_json::json!({ "result": "ok" }),
                    Expect::Error(code, name) => {
                        serde_json::json!({ "result": "error", "code": code, "name": name })
                    }
                };
                m.insert("expect".into(), expect);
                m.insert("description".into(), e.description.clone().into());
                serde_json::Value::Object(m)
            })
            .collect();
        let doc = serde_json::json!({ "format": "migseal-vectors-v1", "vectors": entries });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Every file including `index.json`.
    #[must_use]
    pub fn all_files(&self) -> BTreeMap<String, Vec<u8>> {
        let mut all = self.files.clone();
        all.insert("index.json".into(), self.index_json().into_bytes());
        all
    }

    /// Writes every file under `dir`.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        for (path, bytes) in self.all_files() {
            let full = dir.join(&path);
            if let Some(parent) = full.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(full, bytes)?;
        }
        Ok(())
    }

    /// Compares every file with `dir`; returns the paths that differ or are
    /// missing, and files in the generated folders that the generator no
    /// longer makes.
    #[must_use]
    pub fn check(&self, dir: &Path) -> Vec<String> {
        let all = self.all_files();
        let mut problems = Vec::new();
        for (path, bytes) in &all {
            match std::fs::read(dir.join(path)) {
                Ok(found) if &found == bytes => {}
                Ok(_) => problems.push(format!("{path}: differs from the generator's output")),
                Err(e) => problems.push(format!("{path}: {e}")),
            }
        }
        for sub in ["images", "devices", "policies", "descriptors", "cbor", "codecs"] {
            if let Ok(rd) = std::fs::read_dir(dir.join(sub)) {
                for entry in rd.flatten() {
                    let rel = format!("{sub}/{}", entry.file_name().to_string_lossy());
                    if !all.contains_key(&rel) {
                        problems.push(format!("{rel}: not made by the generator (stale)"));
                    }
                }
            }
        }
        problems
    }
}

/// A readable summary of the index, for the README of the vectors folder.
#[must_use]
pub fn summary(set: &VectorSet) -> String {
    let mut s = String::new();
    for e in &set.entries {
        let expect = match e.expect {
            Expect::Ok => "ok".to_owned(),
            Expect::Error(c, n) => format!("{c} {n}"),
        };
        let _ = writeln!(s, "| {} | {} | {} | {} |", e.kind, e.name, expect, e.description);
    }
    s
}

fn err(code: u16, name: &'static str) -> Expect {
    Expect::Error(code, name)
}
/// Generates the whole set: one table per group, in the index's order.
#[must_use]
pub fn generate() -> VectorSet {
    let mut set = VectorSet::default();
    let f = fixtures::Fixtures::new(&mut set);
    valid::add(&mut set, &f);
    compat::add(&mut set, &f);
    trust::add(&mut set, &f);
    tampering::add(&mut set, &f);
    header_schema::add(&mut set, &f);
    codecs::add(
        &mut set,
        &codecs::Specs { mtty1: &f.mtty1, mtty2: &f.mtty2, vnet: &f.vnet, ap: &f.ap },
        &f.linux,
        &f.virtio,
        &f.ibm,
    );
    descriptors::add(&mut set, &f.dev_mtty2);
    cbor::add(&mut set);
    policy::add(&mut set);
    precedence::add(&mut set, &f);
    set
}
