//! The vfio-ap sysfs text forms, parsed into an [`ApMatrix`] and printed
//! back exactly as the kernel prints them (`drivers/s390/crypto/
//! vfio_ap_ops.c`, `ap_bus.c`). Errors carry the byte offset in the text.
//!
//! | attribute | kernel format | here |
//! |---|---|---|
//! | `matrix`, `guest_matrix` | `vfio_ap_mdev_matrix_show`: for each APID, for each APQI, `"%02lx.%04lx\n"`; only adapters: `"%02lx.\n"`; only domains: `".%04lx\n"` | [`parse_matrix`], [`write_matrix`] |
//! | `control_domains` | `"%04lx\n"` per ADM bit | [`parse_control_domains`], [`write_control_domains`] |
//! | `ap_config` | `"0x%016lx%016lx%016lx%016lx"` per mask, `,` `,` `\n` (show); `ap_hex2bitmap` per field (store) | [`parse_ap_config`], [`write_ap_config`] |
//! | `assign_adapter`, `assign_domain`, `assign_control_domain` | `kstrtoul(buf, 0, ..)`: `0x` hex, leading `0` octal, else decimal; one trailing newline | [`parse_id`] |
//!
//! `matrix` must be exactly what the kernel prints: the cross product of
//! the assigned adapters and domains in ascending order. Text in any other
//! shape (a pair missing, lines reordered) does not describe a matrix the
//! kernel can have and is refused, rather than silently widened.

use core::fmt;

use super::{ApMatrix, Mask};
use crate::error::{Detail, Error, ErrorCode, Result};

/// Largest adapter or domain number (`AP_DEVICES - 1`, `AP_DOMAINS - 1`).
pub const MAX_ID: u8 = 255;

fn syntax(at: usize, field: &'static str) -> Error {
    Error::at(ErrorCode::ApSyntax, at).in_field(field)
}

/// Lines of `text` with their byte offsets, trailing `\r`/spaces trimmed,
/// empty lines skipped.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n')
        .scan(0usize, |at, line| {
            let start = *at;
            *at = at.saturating_add(line.len()).saturating_add(1);
            Some((start, line.trim_end_matches([' ', '\t', '\r'])))
        })
        .filter(|(_, l)| !l.is_empty())
}

/// A hex number of 1..=`max_digits` digits, at most [`MAX_ID`].
fn hex_id(s: &str, at: usize, max_digits: usize, field: &'static str) -> Result<u8> {
    if s.is_empty() || s.len() > max_digits || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(syntax(at, field));
    }
    let v = u32::from_str_radix(s, 16).map_err(|_| syntax(at, field))?;
    u8::try_from(v).map_err(|_| {
        Error::at(ErrorCode::ApIdOutOfRange, at)
            .in_field(field)
            .with_detail(Detail::Limit { limit: u64::from(MAX_ID), found: u64::from(v) })
    })
}

/// One `matrix` line: `(adapter, domain)`, either may be absent.
fn matrix_line(line: &str, at: usize) -> Result<(Option<u8>, Option<u8>)> {
    let (a, d) = line.split_once('.').ok_or_else(|| syntax(at, "matrix"))?;
    let dom_at = at.saturating_add(a.len()).saturating_add(1);
    let a = if a.is_empty() { None } else { Some(hex_id(a, at, 2, "matrix.adapter")?) };
    let d = if d.is_empty() { None } else { Some(hex_id(d, dom_at, 4, "matrix.domain")?) };
    if a.is_none() && d.is_none() {
        return Err(syntax(at, "matrix"));
    }
    Ok((a, d))
}

/// Parses a `matrix` (or `guest_matrix`) attribute into the adapter and
/// domain masks of a matrix with no control domain.
///
/// # Errors
///
/// 761 for a line not of the forms above or text that is not the kernel's
/// cross-product listing, 762 for an id above 255.
pub fn parse_matrix(text: &str) -> Result<ApMatrix> {
    let mut m = ApMatrix::empty();
    for (at, line) in lines(text) {
        let (a, d) = matrix_line(line, at)?;
        if let Some(a) = a {
            m.set(Mask::Adapters, a);
        }
        if let Some(d) = d {
            m.set(Mask::Domains, d);
        }
    }
    // The text must be exactly what the kernel would print for these masks.
    let mut expected = listing(&m);
    for (at, line) in lines(text) {
        if expected.next() != Some(matrix_line(line, at)?) {
            return Err(syntax(at, "matrix"));
        }
    }
    if expected.next().is_some() {
        return Err(syntax(text.len(), "matrix"));
    }
    Ok(m)
}

/// The `(adapter, domain)` lines `vfio_ap_mdev_matrix_show` prints.
fn listing(m: &ApMatrix) -> impl Iterator<Item = (Option<u8>, Option<u8>)> + '_ {
    let has_a = m.count(Mask::Adapters) > 0;
    let has_d = m.count(Mask::Domains) > 0;
    let pairs = m
        .ids(Mask::Adapters)
        .filter(move |_| has_d)
        .flat_map(move |a| m.ids(Mask::Domains).map(move |d| (Some(a), Some(d))));
    let only_a = m.ids(Mask::Adapters).filter(move |_| !has_d).map(|a| (Some(a), None));
    let only_d = m.ids(Mask::Domains).filter(move |_| !has_a).map(|d| (None, Some(d)));
    pairs.chain(only_a).chain(only_d)
}

/// Parses a `control_domains` attribute into an ADM mask, set on `m`.
///
/// # Errors
///
/// 761 for a line that is not 1–4 hex digits or ids not strictly
/// ascending (the kernel prints them so), 762 for an id above 255.
pub fn parse_control_domains(text: &str, m: &mut ApMatrix) -> Result<()> {
    let mut last: Option<u8> = None;
    for (at, line) in lines(text) {
        let id = hex_id(line, at, 4, "control_domains")?;
        if last.is_some_and(|l| id <= l) {
            return Err(syntax(at, "control_domains"));
        }
        last = Some(id);
        m.set(Mask::ControlDomains, id);
    }
    Ok(())
}

/// The matrix of a device from its `matrix` and `control_domains`
/// attributes. Offsets of errors in `control_domains` are given from the
/// start of that text.
///
/// # Errors
///
/// As [`parse_matrix`] and [`parse_control_domains`].
pub fn from_sysfs(matrix: &str, control_domains: &str) -> Result<ApMatrix> {
    let mut m = parse_matrix(matrix)?;
    parse_control_domains(control_domains, &mut m)?;
    Ok(m)
}

/// Parses the `ap_config` attribute: three masks separated by `,`, an
/// optional final newline, each mask as `ap_hex2bitmap` reads it (optional
/// `0x`, then up to 64 hex digits filling the mask from bit 0; missing
/// digits are zero bits).
///
/// # Errors
///
/// 761 for anything else.
pub fn parse_ap_config(text: &str) -> Result<ApMatrix> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let mut m = ApMatrix::empty();
    let mut fields = body.split(',');
    let mut at = 0usize;
    for mask in Mask::ALL {
        let field = fields.next().ok_or_else(|| syntax(text.len(), "ap_config"))?;
        hex_mask(field, at, &mut m, mask)?;
        at = at.saturating_add(field.len()).saturating_add(1);
    }
    if fields.next().is_some() {
        return Err(syntax(at.saturating_sub(1), "ap_config"));
    }
    Ok(m)
}

/// `ap_hex2bitmap` for one mask.
fn hex_mask(field: &str, at: usize, m: &mut ApMatrix, mask: Mask) -> Result<()> {
    let (digits, skip) = match field.strip_prefix("0x").or_else(|| field.strip_prefix('x')) {
        Some(d) => (d, field.len().saturating_sub(d.len())),
        None => (field, 0),
    };
    if digits.len() > 64 {
        return Err(syntax(at.saturating_add(skip).saturating_add(64), "ap_config"));
    }
    for (i, b) in digits.bytes().enumerate() {
        let nibble = char::from(b)
            .to_digit(16)
            .ok_or_else(|| syntax(at.saturating_add(skip).saturating_add(i), "ap_config"))?;
        for bit in 0..4u32 {
            if nibble & (8 >> bit) != 0 {
                // i < 64 and bit < 4, so the id is at most 255.
                let id = u32::try_from(i).unwrap_or(u32::MAX).saturating_mul(4).saturating_add(bit);
                m.set(mask, u8::try_from(id).unwrap_or(u8::MAX));
            }
        }
    }
    Ok(())
}

/// Parses what `assign_adapter` (and the domain attributes) accept:
/// `kstrtoul(buf, 0, ..)` — `0x`/`0X` hex, a leading `0` octal, otherwise
/// decimal, with one optional trailing newline — and the kernel's upper
/// bound of 255.
///
/// # Errors
///
/// 761 for text `kstrtoul` refuses, 762 above 255.
pub fn parse_id(text: &str) -> Result<u8> {
    let s = text.strip_suffix('\n').unwrap_or(text);
    let (digits, radix, skip) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16, 2)
    } else if s.len() > 1 && s.starts_with('0') {
        (s.get(1..).unwrap_or(""), 8, 1)
    } else {
        (s, 10, 0)
    };
    if digits.is_empty() || !digits.bytes().all(|b| char::from(b).is_digit(radix)) {
        return Err(syntax(skip, "id"));
    }
    let v = u64::from_str_radix(digits, radix).map_err(|_| {
        Error::new(ErrorCode::ApIdOutOfRange, 0).in_field("id").with_detail(Detail::Found(u64::MAX))
    })?;
    u8::try_from(v).map_err(|_| {
        Error::new(ErrorCode::ApIdOutOfRange, 0)
            .in_field("id")
            .with_detail(Detail::Limit { limit: u64::from(MAX_ID), found: v })
    })
}

/// Writes the `matrix` attribute as the kernel prints it.
///
/// # Errors
///
/// Only the writer's.
pub fn write_matrix(m: &ApMatrix, w: &mut impl fmt::Write) -> fmt::Result {
    for pair in listing(m) {
        match pair {
            (Some(a), Some(d)) => writeln!(w, "{a:02x}.{d:04x}")?,
            (Some(a), None) => writeln!(w, "{a:02x}.")?,
            (None, Some(d)) => writeln!(w, ".{d:04x}")?,
            (None, None) => {}
        }
    }
    Ok(())
}

/// Writes the `control_domains` attribute as the kernel prints it.
///
/// # Errors
///
/// Only the writer's.
pub fn write_control_domains(m: &ApMatrix, w: &mut impl fmt::Write) -> fmt::Result {
    for d in m.ids(Mask::ControlDomains) {
        writeln!(w, "{d:04x}")?;
    }
    Ok(())
}

/// Writes the `ap_config` attribute as `ap_config_show` prints it.
///
/// # Errors
///
/// Only the writer's.
pub fn write_ap_config(m: &ApMatrix, w: &mut impl fmt::Write) -> fmt::Result {
    for (i, mask) in Mask::ALL.iter().enumerate() {
        w.write_str("0x")?;
        for b in m.mask(*mask) {
            write!(w, "{b:02x}")?;
        }
        w.write_char(if i == 2 { '\n' } else { ',' })?;
    }
    Ok(())
}
