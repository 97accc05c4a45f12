//! JavaScript arguments into the CLI's own types: a policy argument into a
//! [`PolicyFile`], a descriptor argument into canonical CBOR or a
//! [`DescriptorJson`]. Text is parsed by the engine's `JSON.parse`, and
//! the object is read field by field here, as strictly as the CLI's serde
//! reading (unknown fields refused, every type checked), without linking a
//! JSON parser and serde's visitors into the module: that halves its size.
//! Adding a field to either type breaks this file's build, so the two
//! cannot drift apart.

use js_sys::{Array, ArrayBuffer, JSON, Number, Object, Reflect, Uint8Array};
use migseal::descriptor_json::{ConfigJson, DescriptorJson, RangeJson, RoleJson, looks_like_json};
use migseal::policy_file::{LimitsEntry, MinSecurityEntry, PolicyFile, TrustedKeyEntry};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::{Failure, Input};
use crate::inputs::DescriptorArg;

/// A JSON value being read, with its path for messages (`trusted[0].vendor`).
struct At<'v> {
    input: Input,
    path: String,
    value: &'v JsValue,
}

impl<'v> At<'v> {
    fn fail(&self, what: impl core::fmt::Display) -> Failure {
        let name = if self.input == Input::Policy { "policy file" } else { self.input.name() };
        if self.path.is_empty() {
            Failure::invalid(self.input, format!("{name}: {what}"))
        } else {
            Failure::invalid(self.input, format!("{name}: {}: {what}", self.path))
        }
    }

    fn found(&self) -> String {
        if self.value.is_null() {
            "null".into()
        } else if Array::is_array(self.value) {
            "an array".into()
        } else {
            self.value.js_typeof().as_string().unwrap_or_default()
        }
    }

    fn child(&self, key: &str, value: &'v JsValue) -> Self {
        let path = if self.path.is_empty() { key.to_owned() } else { format!("{}.{key}", self.path) };
        Self { input: self.input, path, value }
    }

    fn string(&self) -> Result<String, Failure> {
        self.value.as_string().ok_or_else(|| self.fail(format!("expected a string, found {}", self.found())))
    }

    /// A whole number a JavaScript number holds exactly (0 to 2^53 - 1).
    fn integer(&self) -> Result<u64, Failure> {
        let bad = || {
            self.fail(format!(
                "expected a whole number from 0 to 9007199254740991 (2^53 - 1, the largest a JavaScript number holds exactly), found {}",
                if self.value.as_f64().is_some() { "another number".to_owned() } else { self.found() }
            ))
        };
        let n = self.value.as_f64().ok_or_else(bad)?;
        if !Number::is_safe_integer(self.value) || n.is_sign_negative() {
            return Err(bad());
        }
        // A non-negative safe integer converts exactly.
        #[allow(clippy::as_conversions, clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        Ok(n as u64)
    }

    fn strings(&self, items: &[JsValue]) -> Result<Vec<String>, Failure> {
        items.iter().enumerate().map(|(i, v)| self.item(i, v).string()).collect()
    }

    fn item(&self, index: usize, value: &'v JsValue) -> Self {
        Self { input: self.input, path: format!("{}[{index}]", self.path), value }
    }
}

/// The elements of an array value.
fn elements(at: &At<'_>) -> Result<Vec<JsValue>, Failure> {
    if !Array::is_array(at.value) {
        return Err(at.fail(format!("expected an array, found {}", at.found())));
    }
    Ok(at.value.unchecked_ref::<Array>().iter().collect())
}

/// A plain object's fields, refusing any not in `known`.
fn fields(at: &At<'_>, known: &[&str]) -> Result<Vec<(String, JsValue)>, Failure> {
    if !at.value.is_object() || Array::is_array(at.value) || at.value.is_function() {
        return Err(at.fail(format!("expected an object, found {}", at.found())));
    }
    let mut out = Vec::new();
    for key in Object::keys(at.value.unchecked_ref::<Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !known.contains(&key.as_str()) {
            return Err(at.fail(format!("unknown field `{key}`, expected one of {}", quoted(known))));
        }
        let value = Reflect::get(at.value, &JsValue::from_str(&key)).unwrap_or(JsValue::UNDEFINED);
        out.push((key, value));
    }
    Ok(out)
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}

/// The value of `key` when present and not null.
fn get<'a>(fields: &'a [(String, JsValue)], key: &str) -> Option<&'a JsValue> {
    fields.iter().find(|(k, v)| k == key && !v.is_null() && !v.is_undefined()).map(|(_, v)| v)
}

fn required<'a>(at: &At<'_>, fields: &'a [(String, JsValue)], key: &str) -> Result<&'a JsValue, Failure> {
    get(fields, key).ok_or_else(|| at.fail(format!("missing field `{key}`")))
}

/// JSON text, as the engine parses it.
fn parse_text(input: Input, text: &str) -> Result<JsValue, Failure> {
    JSON::parse(text).map_err(|e| {
        let why = e.dyn_ref::<js_sys::Error>().and_then(|e| e.message().as_string()).unwrap_or_default();
        let name = if input == Input::Policy { "policy file" } else { input.name() };
        Failure::invalid(input, format!("{name}: not valid JSON: {why}"))
    })
}

fn utf8(input: Input, bytes: Vec<u8>) -> Result<String, Failure> {
    String::from_utf8(bytes)
        .map_err(|e| Failure::invalid(input, format!("{}: not UTF-8 text: {e}", input.name())))
}

/// The bytes of a `Uint8Array` or `ArrayBuffer` argument.
fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Some(a.to_vec());
    }
    value.dyn_ref::<ArrayBuffer>().map(|b| Uint8Array::new(b).to_vec())
}

fn wrong_type(input: Input, value: &JsValue) -> Failure {
    let at = At { input, path: String::new(), value };
    Failure::invalid(
        input,
        format!(
            "{}: expected a Uint8Array, an ArrayBuffer, a JSON string or an object, found {}",
            input.name(),
            at.found()
        ),
    )
}

/// The JSON value an argument holds: parsed text, or the object itself.
fn json_value(input: Input, value: &JsValue) -> Result<JsValue, Failure> {
    if let Some(bytes) = bytes_of(value) {
        return parse_text(input, &utf8(input, bytes)?);
    }
    if let Some(text) = value.as_string() {
        return parse_text(input, &text);
    }
    if value.is_object() && !value.is_function() {
        return Ok(value.clone());
    }
    Err(wrong_type(input, value))
}

/// A descriptor argument: CBOR bytes as they are; JSON text, JSON bytes or
/// an object in the JSON form.
///
/// # Errors
///
/// Not one of those types, not JSON, or not the descriptor's JSON form.
pub fn descriptor_arg(input: Input, value: &JsValue) -> Result<DescriptorArg, Failure> {
    if let Some(bytes) = bytes_of(value)
        && !looks_like_json(&bytes)
    {
        return Ok(DescriptorArg::Cbor(bytes));
    }
    let json = json_value(input, value)?;
    descriptor_json(&At { input, path: String::new(), value: &json }).map(DescriptorArg::Json)
}

fn descriptor_json(at: &At<'_>) -> Result<DescriptorJson, Failure> {
    const KNOWN: &[&str] =
        &["role", "vendor", "device_api", "device_type", "versions", "features", "config", "codecs"];
    let f = fields(at, KNOWN)?;
    let text = |key: &str| required(at, &f, key).and_then(|v| at.child(key, v).string());
    let list = |key: &str| match get(&f, key) {
        None => Ok(Vec::new()),
        Some(v) => {
            let field = at.child(key, v);
            field.strings(&elements(&field)?)
        }
    };
    let role_at = at.child("role", required(at, &f, "role")?);
    let role = match role_at.string()?.as_str() {
        "source" => RoleJson::Source,
        "destination" => RoleJson::Destination,
        other => {
            return Err(role_at.fail(format!("unknown role `{other}`, expected `source` or `destination`")));
        }
    };
    let versions_at = at.child("versions", required(at, &f, "versions")?);
    let mut versions = Vec::new();
    for (i, v) in elements(&versions_at)?.iter().enumerate() {
        let item = versions_at.item(i, v);
        versions.push(match v.as_string() {
            Some(text) => RangeJson::Text(text),
            None => {
                let r = fields(&item, &["min", "max"])?;
                let bound = |key: &str| required(&item, &r, key).and_then(|v| item.child(key, v).string());
                RangeJson::MinMax { min: bound("min")?, max: bound("max")? }
            }
        });
    }
    let config = match get(&f, "config") {
        None => None,
        Some(v) => {
            let c = at.child("config", v);
            let cf = fields(&c, &["kind", "data_hex"])?;
            let field = |key: &str| required(&c, &cf, key).and_then(|v| c.child(key, v).string());
            Some(ConfigJson { kind: field("kind")?, data_hex: field("data_hex")? })
        }
    };
    required(at, &f, "codecs")?;
    Ok(DescriptorJson {
        role,
        vendor: text("vendor")?,
        device_api: text("device_api")?,
        device_type: text("device_type")?,
        versions,
        features: list("features")?,
        config,
        codecs: list("codecs")?,
    })
}

/// A policy argument: JSON text, JSON bytes or an object, read into the
/// CLI's [`PolicyFile`].
///
/// # Errors
///
/// Not one of those types, not JSON, or not the policy file's form.
pub fn policy_arg(value: &JsValue) -> Result<PolicyFile, Failure> {
    let json = json_value(Input::Policy, value)?;
    policy_file(&At { input: Input::Policy, path: String::new(), value: &json })
}

fn policy_file(at: &At<'_>) -> Result<PolicyFile, Failure> {
    const KNOWN: &[&str] = &["trusted", "revoked", "min_security", "session", "subject", "limits"];
    let f = fields(at, KNOWN)?;
    let mut trusted = Vec::new();
    if let Some(v) = get(&f, "trusted") {
        let list = at.child("trusted", v);
        for (i, item) in elements(&list)?.iter().enumerate() {
            let e = list.item(i, item);
            let ef = fields(&e, &["public_key", "vendor", "device_types"])?;
            let text = |key: &str| required(&e, &ef, key).and_then(|v| e.child(key, v).string());
            let device_types = match get(&ef, "device_types") {
                None => Vec::new(),
                Some(v) => {
                    let d = e.child("device_types", v);
                    d.strings(&elements(&d)?)?
                }
            };
            trusted.push(TrustedKeyEntry {
                public_key: text("public_key")?,
                vendor: text("vendor")?,
                device_types,
            });
        }
    }
    let revoked = match get(&f, "revoked") {
        None => Vec::new(),
        Some(v) => {
            let r = at.child("revoked", v);
            r.strings(&elements(&r)?)?
        }
    };
    let mut min_security = Vec::new();
    if let Some(v) = get(&f, "min_security") {
        let list = at.child("min_security", v);
        for (i, item) in elements(&list)?.iter().enumerate() {
            let e = list.item(i, item);
            let ef = fields(&e, &["vendor", "device_type", "minimum"])?;
            min_security.push(MinSecurityEntry {
                vendor: required(&e, &ef, "vendor").and_then(|v| e.child("vendor", v).string())?,
                device_type: get(&ef, "device_type")
                    .map(|v| e.child("device_type", v).string())
                    .transpose()?,
                minimum: required(&e, &ef, "minimum").and_then(|v| e.child("minimum", v).integer())?,
            });
        }
    }
    let optional_text = |key: &str| get(&f, key).map(|v| at.child(key, v).string()).transpose();
    let limits = match get(&f, "limits") {
        None => LimitsEntry::default(),
        Some(v) => {
            let l = at.child("limits", v);
            let lf = fields(&l, &["max_header_len", "max_chunk_len", "max_chunks", "max_total_len"])?;
            let n = |key: &str| get(&lf, key).map(|v| l.child(key, v).integer()).transpose();
            let header = n("max_header_len")?;
            LimitsEntry {
                max_header_len: header
                    .map(|h| {
                        usize::try_from(h).map_err(|_| l.fail("max_header_len: too large for this machine"))
                    })
                    .transpose()?,
                max_chunk_len: n("max_chunk_len")?,
                max_chunks: n("max_chunks")?,
                max_total_len: n("max_total_len")?,
            }
        }
    };
    Ok(PolicyFile {
        trusted,
        revoked,
        min_security,
        session: optional_text("session")?,
        subject: optional_text("subject")?,
        limits,
    })
}
