//! One test per mtty invariant: break it in a valid state and expect its
//! code at the offending byte. The valid state is a hand-commented hex
//! fixture (the same bytes `tests/c/mtty_layout.c busy2` writes).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use common::{identity, refuses};
use migseal_codecs::mtty::{Mtty, MttyState, SerialPort};
use migseal_codecs::{Codec, Decoded, Detail, ErrorCode};
use migseal_verifier::VerifiedPayload;

/// A valid mtty-2 state, 96 bytes, field by field.
fn busy2() -> Vec<u8> {
    hex::decode(concat!(
        "4e2c3e8c89099d7e",
        "01000000",
        "00000000",
        "02000000",
        "00000000",
        // ports[0] at 24: uart_reg[8] = -, IER 05, -, LCR 03, MCR 0b, -, -, SCR 5a
        "00050003",
        "0b00005a",
        // rxtx.fifo[16] = "hello!" then zeros
        "68656c6c6f210000",
        "0000000000000000",
        // head 6, tail 3, count 3, dlab 0, overrun 0, pad, divisor 12 (le16)
        "06030300",
        "00",
        "00",
        "0c00",
        // fcr c1, max_fifo_size 16, trigger 1, pad
        "c1100100",
        // ports[1] at 60: uart_reg (LCR 83 at 63)
        "00000083",
        "00000000",
        // fifo a0..af
        "a0a1a2a3a4a5a6a7",
        "a8a9aaabacadaeaf",
        // head 7, tail 7, count 16, dlab 1, overrun 1, pad, divisor 0x0180
        "07071001",
        "01",
        "00",
        "8001",
        // fcr 01, max 16, trigger 1, pad
        "01100100",
    ))
    .unwrap()
}

fn with(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = busy2();
    edit(&mut b);
    b
}

#[test]
fn the_fixture_is_valid_and_round_trips() {
    let b = busy2();
    assert_eq!(b.len(), 96);
    common::round_trips("mtty-2", &b);
}

#[test]
fn truncated_header() {
    let e = refuses("mtty-2", &busy2()[..10], ErrorCode::Truncated, 10);
    assert_eq!(e.field(), "major_ver");
}

#[test]
fn wrong_magic() {
    refuses("mtty-2", &with(|b| b[7] = 0x7f), ErrorCode::MttyBadMagic, 0);
}

#[test]
fn wrong_major_and_minor_version() {
    let e = refuses("mtty-2", &with(|b| b[8] = 2), ErrorCode::MttyVersion, 8);
    assert_eq!(e.detail(), Detail::Value { expected: 1, found: 2 });
    refuses("mtty-2", &with(|b| b[12] = 1), ErrorCode::MttyVersion, 12);
}

#[test]
fn port_count_not_the_types() {
    refuses("mtty-2", &with(|b| b[16] = 3), ErrorCode::MttyPortCount, 16);
    refuses("mtty-2", &with(|b| b[19] = 0x80), ErrorCode::MttyPortCount, 16);
}

#[test]
fn flags_set() {
    refuses("mtty-2", &with(|b| b[23] = 1), ErrorCode::MttyFlags, 20);
}

#[test]
fn sizes_that_do_not_add_up() {
    let short = busy2()[..95].to_vec();
    let e = refuses("mtty-2", &short, ErrorCode::MttySize, 95);
    assert_eq!(e.detail(), Detail::Value { expected: 96, found: 95 });
    refuses("mtty-2", &with(|b| b.push(0)), ErrorCode::MttySize, 96);
    refuses("mtty-2", &busy2()[..24], ErrorCode::MttySize, 24);
}

#[test]
fn a_register_the_driver_never_stores() {
    for (reg, name) in [(0, "RX/TX"), (2, "IIR/FCR"), (5, "LSR"), (6, "MSR")] {
        let e = refuses(
            "mtty-2",
            &with(|b| b[24 + reg] = 1),
            ErrorCode::MttyUnusedRegister,
            24 + u64::try_from(reg).unwrap(),
        );
        assert_eq!(e.field(), "uart_reg", "{name}");
    }
}

#[test]
fn fifo_head_and_tail_out_of_range() {
    let e = refuses("mtty-2", &with(|b| b[48] = 200), ErrorCode::MttyFifoIndex, 48);
    assert_eq!(e.field(), "rxtx.head");
    assert_eq!(e.detail(), Detail::Limit { limit: 15, found: 200 });
    refuses("mtty-2", &with(|b| b[49] = 16), ErrorCode::MttyFifoIndex, 49);
    // In the second port, at 60 + 24.
    refuses("mtty-2", &with(|b| b[84] = 16), ErrorCode::MttyFifoIndex, 84);
}

#[test]
fn fifo_count_out_of_range() {
    refuses("mtty-2", &with(|b| b[86] = 17), ErrorCode::MttyFifoCount, 86);
}

#[test]
fn fifo_count_disagreeing_with_head_and_tail() {
    let e = refuses("mtty-2", &with(|b| b[50] = 2), ErrorCode::MttyFifoInconsistent, 50);
    assert_eq!(e.detail(), Detail::Value { expected: 3, found: 2 });
    // Full (16) is only consistent with head == tail.
    refuses("mtty-2", &with(|b| b[84] = 8), ErrorCode::MttyFifoInconsistent, 86);
}

#[test]
fn bool_bytes_other_than_0_and_1() {
    refuses("mtty-2", &with(|b| b[51] = 2), ErrorCode::MttyBool, 51);
    refuses("mtty-2", &with(|b| b[52] = 0xff), ErrorCode::MttyBool, 52);
}

#[test]
fn padding_not_zero() {
    let e = refuses("mtty-2", &with(|b| b[53] = 1), ErrorCode::ReservedNotZero, 53);
    assert_eq!(e.field(), "padding after overrun");
    refuses("mtty-2", &with(|b| b[95] = 1), ErrorCode::ReservedNotZero, 95);
}

#[test]
fn dlab_disagreeing_with_lcr() {
    refuses("mtty-2", &with(|b| b[51] = 1), ErrorCode::MttyDlab, 51);
    refuses("mtty-2", &with(|b| b[63] = 0x03), ErrorCode::MttyDlab, 87);
}

#[test]
fn fifo_size_other_than_1_or_16() {
    refuses("mtty-2", &with(|b| b[57] = 8), ErrorCode::MttyFifoSize, 57);
    refuses("mtty-2", &with(|b| b[57] = 0), ErrorCode::MttyFifoSize, 57);
    let ok = with(|b| b[57] = 1);
    common::round_trips("mtty-2", &ok);
}

#[test]
fn trigger_level_not_one_the_driver_sets() {
    refuses("mtty-2", &with(|b| b[58] = 3), ErrorCode::MttyTriggerLevel, 58);
    for ok in [0u8, 1, 4, 8, 14] {
        common::round_trips("mtty-2", &with(|b| b[58] = ok));
    }
}

#[test]
fn identity_the_codec_does_not_handle() {
    let b = busy2();
    let mut id = identity("mtty-2");
    id.state_version = (1, 1);
    let e = Mtty::decode(VerifiedPayload::unverified_less_safe(&b, id)).unwrap_err();
    assert_eq!((e.code(), e.field()), (ErrorCode::UnsupportedIdentity, "identity.state_version"));
    id = identity("mtty-2");
    id.device_type = "mtty-3";
    let e = Mtty::decode(VerifiedPayload::unverified_less_safe(&b, id)).unwrap_err();
    assert_eq!(e.field(), "identity.device_type");
    id = identity("mtty-2");
    id.vendor = "nvidia";
    let e = Mtty::decode(VerifiedPayload::unverified_less_safe(&b, id)).unwrap_err();
    assert_eq!(e.field(), "identity.vendor");
}

#[test]
fn the_encoder_refuses_what_the_decoder_refuses() {
    let Decoded::Mtty(state) = common::decode("mtty-2", &busy2()).unwrap() else { panic!() };
    let mut bad = state;
    bad.ports_mut()[1].rxtx.tail = 40;
    let mut out = [0u8; 96];
    let e = bad.encode_bytes(&mut out).unwrap_err();
    assert_eq!((e.code(), e.offset(), e.field()), (ErrorCode::MttyFifoIndex, 85, "rxtx.tail"));
    let mut small = [0u8; 95];
    assert_eq!(state.encode_bytes(&mut small).unwrap_err().code(), ErrorCode::BufferTooSmall);
    let one = MttyState::one(SerialPort::reset());
    assert_eq!(Mtty::encoded_len(&one), 60);
}
