//! Results into JavaScript: a `serde_json::Value` becomes plain objects,
//! arrays, strings, numbers, booleans and null, built directly (no JSON
//! text in between, so no number formatting is linked); a [`Failure`]
//! becomes a thrown `MigsealError`.

use js_sys::{Array, Object, Reflect};
use serde_json::Value;
use wasm_bindgen::JsValue;

use crate::error::Failure;

/// The JavaScript value of a JSON value. Integers above 2^53 - 1 (only a
/// header's security version can be one) round to the nearest double.
#[must_use]
pub fn to_js(value: &Value) -> JsValue {
    match value {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => JsValue::from_bool(*b),
        Value::Number(n) => n.as_f64().map_or(JsValue::NULL, JsValue::from_f64),
        Value::String(s) => JsValue::from_str(s),
        Value::Array(items) => items.iter().map(to_js).collect::<Array>().into(),
        Value::Object(map) => {
            let object = Object::new();
            for (key, item) in map {
                // Setting a property on a fresh plain object cannot fail.
                let _ = Reflect::set(&object, &JsValue::from_str(key), &to_js(item));
            }
            object.into()
        }
    }
}

/// The `MigsealError` for a failure: an `Error` with the failure's message
/// and its `input`, `code`, `codeName`, `class`, `errno` and `offset`.
#[must_use]
pub fn thrown(f: &Failure) -> JsValue {
    let err = js_sys::Error::new(&f.message);
    err.set_name("MigsealError");
    if let Value::Object(props) = f.to_json() {
        for (key, item) in &props {
            let _ = Reflect::set(&err, &JsValue::from_str(key), &to_js(item));
        }
    }
    err.into()
}

/// A descriptor's JSON form as an object whose keys are in the order the
/// CLI prints them (a `Value` would sort them).
#[must_use]
pub fn descriptor_to_js(d: &migseal::descriptor_json::DescriptorJson) -> JsValue {
    use migseal::descriptor_json::{RangeJson, RoleJson};
    let object = Object::new();
    let set = |key: &str, value: JsValue| {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &value);
    };
    let strings = |items: &[String]| items.iter().map(|s| JsValue::from_str(s)).collect::<Array>();
    set("role", JsValue::from_str(if d.role == RoleJson::Source { "source" } else { "destination" }));
    set("vendor", JsValue::from_str(&d.vendor));
    set("device_api", JsValue::from_str(&d.device_api));
    set("device_type", JsValue::from_str(&d.device_type));
    let versions = d
        .versions
        .iter()
        .map(|r| match r {
            RangeJson::MinMax { min, max } => {
                let range = Object::new();
                let _ = Reflect::set(&range, &JsValue::from_str("min"), &JsValue::from_str(min));
                let _ = Reflect::set(&range, &JsValue::from_str("max"), &JsValue::from_str(max));
                JsValue::from(range)
            }
            RangeJson::Text(t) => JsValue::from_str(t),
        })
        .collect::<Array>();
    set("versions", versions.into());
    set("features", strings(&d.features).into());
    if let Some(c) = &d.config {
        let config = Object::new();
        let _ = Reflect::set(&config, &JsValue::from_str("kind"), &JsValue::from_str(&c.kind));
        let _ = Reflect::set(&config, &JsValue::from_str("data_hex"), &JsValue::from_str(&c.data_hex));
        set("config", config.into());
    }
    set("codecs", strings(&d.codecs).into());
    object.into()
}
