//! The vfio-ap matrix: binary layout, the sysfs text forms as the kernel
//! prints and parses them, and canonical equality.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use migseal_codecs::vfio_ap::sysfs::{
    from_sysfs, parse_ap_config, parse_control_domains, parse_id, parse_matrix, write_ap_config,
    write_control_domains, write_matrix,
};
use migseal_codecs::vfio_ap::{ApMatrix, MATRIX_LEN, Mask};
use migseal_codecs::{Decoded, ErrorCode};
use migseal_format::Ident;
use migseal_format::envelope::ShellConfig;

const AP: &str = "vfio_ap-passthrough";

/// The matrix of `cli/tests/fixtures/sysfs`: adapters 5, 6; domains 4,
/// 0x47; control domains 4, 0x47.
fn sample() -> ApMatrix {
    from_sysfs("05.0004\n05.0047\n06.0004\n06.0047\n", "0004\n0047\n").unwrap()
}

#[test]
fn bits_are_msb_first_in_apm_aqm_adm_order() {
    let b = sample().to_bytes();
    let mut want = [0u8; MATRIX_LEN];
    want[0] = 0b0000_0110; // adapters 5 and 6
    want[32] = 0b0000_1000; // domain 4
    want[32 + 8] = 0b0000_0001; // domain 0x47 = 71: byte 8, last bit
    want[64] = 0b0000_1000;
    want[64 + 8] = 0b0000_0001;
    assert_eq!(b, want);
    assert_eq!(ApMatrix::from_bytes(&b).unwrap(), sample());
    common::round_trips(AP, &b);
}

#[test]
fn the_kernels_text_forms_are_printed_back_exactly() {
    let m = sample();
    let mut s = String::new();
    write_matrix(&m, &mut s).unwrap();
    assert_eq!(s, "05.0004\n05.0047\n06.0004\n06.0047\n");
    s.clear();
    write_control_domains(&m, &mut s).unwrap();
    assert_eq!(s, "0004\n0047\n");
    s.clear();
    write_ap_config(&m, &mut s).unwrap();
    // ap_config_show: "0x%016lx%016lx%016lx%016lx" per mask on big-endian s390.
    let z = "0".repeat(48);
    assert_eq!(
        s,
        format!(
            "0x0600000000000000{z},0x0800000000000000010000000000000000000000000000000000000000000000,0x0800000000000000010000000000000000000000000000000000000000000000\n"
        )
    );
    assert_eq!(parse_ap_config(&s).unwrap(), m);
}

#[test]
fn adapters_only_and_domains_only_listings() {
    let a = parse_matrix("05.\n0a.\n").unwrap();
    assert_eq!(a.ids(Mask::Adapters).collect::<Vec<_>>(), [5, 10]);
    assert_eq!(a.count(Mask::Domains), 0);
    let d = parse_matrix(".0004\n.00ff\n").unwrap();
    assert_eq!(d.ids(Mask::Domains).collect::<Vec<_>>(), [4, 255]);
    assert_eq!(parse_matrix("").unwrap(), ApMatrix::empty());
}

#[test]
fn text_that_is_not_the_kernels_listing_is_refused() {
    // A pair of the cross product missing: not a matrix the kernel can have.
    let e = parse_matrix("05.0004\n06.0047\n").unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::ApSyntax, 8));
    // Reordered.
    assert_eq!(parse_matrix("06.0004\n05.0004\n").unwrap_err().code(), ErrorCode::ApSyntax);
    // Adapters-only lines mixed with pairs.
    assert_eq!(parse_matrix("05.0004\n06.\n").unwrap_err().code(), ErrorCode::ApSyntax);
    for bad in ["5", "zz.0004", "05.00004", "005.0004", ".", "05,0004"] {
        let e = parse_matrix(bad).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ApSyntax, "{bad:?}");
    }
    let e = parse_matrix("05.0100\n").unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::ApIdOutOfRange, 3));
    let e = parse_control_domains("0004\n0004\n", &mut ApMatrix::empty()).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::ApSyntax, 5));
    let e = parse_control_domains("0004\n1000\n", &mut ApMatrix::empty()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ApIdOutOfRange);
}

#[test]
fn ap_config_parses_as_ap_hex2bitmap_does() {
    // Short masks fill from bit 0; "0x" optional; the last newline optional.
    let m = parse_ap_config("0x06,08,0x08").unwrap();
    assert_eq!(m.ids(Mask::Adapters).collect::<Vec<_>>(), [5, 6]);
    assert_eq!(m.ids(Mask::Domains).collect::<Vec<_>>(), [4]);
    assert_eq!(m.ids(Mask::ControlDomains).collect::<Vec<_>>(), [4]);
    assert_eq!(parse_ap_config("0x,0x,0x\n").unwrap(), ApMatrix::empty());
    for bad in ["0x06,0x08", "0x06,0x08,0x08,0x00", "0xg6,0,0", &format!("0x{},0,0", "f".repeat(65))] {
        assert_eq!(parse_ap_config(bad).unwrap_err().code(), ErrorCode::ApSyntax, "{bad:?}");
    }
}

#[test]
fn assign_attributes_parse_as_kstrtoul_base_0() {
    assert_eq!(parse_id("5\n").unwrap(), 5);
    assert_eq!(parse_id("0x47").unwrap(), 0x47);
    assert_eq!(parse_id("0X47").unwrap(), 0x47);
    assert_eq!(parse_id("010").unwrap(), 8, "a leading 0 is octal");
    assert_eq!(parse_id("0").unwrap(), 0);
    assert_eq!(parse_id("255").unwrap(), 255);
    assert_eq!(parse_id("256").unwrap_err().code(), ErrorCode::ApIdOutOfRange);
    assert_eq!(parse_id("99999999999999999999999").unwrap_err().code(), ErrorCode::ApIdOutOfRange);
    for bad in ["", "0x", "08", "5 ", "-1", "+1", "5\n\n"] {
        assert_eq!(parse_id(bad).unwrap_err().code(), ErrorCode::ApSyntax, "{bad:?}");
    }
}

#[test]
fn equal_matrices_are_equal_bytes_whatever_the_text() {
    let a = from_sysfs("05.0004\n05.0047\n06.0004\n06.0047\n", "0004\n0047\n").unwrap();
    let b = parse_ap_config(&{
        let mut s = String::new();
        write_ap_config(&a, &mut s).unwrap();
        s
    })
    .unwrap();
    let mut c = ApMatrix::empty();
    for (mask, id) in [
        (Mask::ControlDomains, "0x47"),
        (Mask::Domains, "71"),
        (Mask::Adapters, "6"),
        (Mask::Domains, "4"),
        (Mask::Adapters, "05"),
        (Mask::ControlDomains, "4"),
        (Mask::Adapters, "6"),
    ] {
        c.set(mask, parse_id(id).unwrap());
    }
    assert_eq!(a.to_bytes(), b.to_bytes());
    assert_eq!(a.to_bytes(), c.to_bytes());
    let mut d = a;
    d.set(Mask::ControlDomains, 5);
    assert_ne!(a.to_bytes(), d.to_bytes());
}

#[test]
fn config_and_payload_lengths_and_kinds() {
    let bytes = sample().to_bytes();
    let cfg = ShellConfig::new(Ident::new("vfio-ap-matrix").unwrap(), &bytes).unwrap();
    assert_eq!(ApMatrix::from_config(&cfg).unwrap(), sample());
    let other = ShellConfig::new(Ident::new("vfio-ccw-paths").unwrap(), &bytes).unwrap();
    assert_eq!(ApMatrix::from_config(&other).unwrap_err().code(), ErrorCode::ApConfigKind);
    let e = common::refuses(AP, &bytes[..95], ErrorCode::ApMatrixLength, 95);
    assert_eq!(e.field(), "matrix");
    common::refuses(AP, &[0u8; 97], ErrorCode::ApMatrixLength, 96);
    assert!(
        matches!(common::decode(AP, &[0xffu8; 96]).unwrap(), Decoded::VfioApMatrix(m) if m.count(Mask::Adapters) == 256)
    );
}
