//! The mtty codec against the C compiler's layout of the driver's structs:
//! `tests/c/mtty_layout.c` declares them as mtty.c does, fills them and
//! writes their bytes; the codec must decode exactly the values the C
//! program set and encode them back to the same bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::as_conversions
)]

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use migseal_codecs::Decoded;
use migseal_codecs::mtty::{MttyState, Rxtx, SerialPort};

fn program() -> &'static PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(|| {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/c/mtty_layout.c");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let exe = dir.join("mtty_layout");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let out = Command::new(&cc)
            .args(["-std=c11", "-O0", "-Wall", "-Wextra", "-Werror", "-o"])
            .arg(&exe)
            .arg(&src)
            .output()
            .unwrap_or_else(|e| panic!("cannot run the C compiler {cc:?}: {e}"));
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        exe
    })
}

fn c_bytes(which: &str) -> Vec<u8> {
    let out = Command::new(program()).arg(which).output().unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn the_c_layout_is_the_one_the_codec_documents() {
    let text = String::from_utf8(c_bytes("layout")).unwrap();
    let v: Vec<usize> = text.split_whitespace().map(|s| s.parse().unwrap()).collect();
    // sizeof, then offsets of rxtx, dlab, overrun, divisor, fcr, max_fifo_size, trigger.
    assert_eq!(v, [migseal_codecs::mtty::PORT_LEN, 8, 27, 28, 30, 32, 33, 34]);
}

#[test]
fn a_two_port_state_written_by_c_decodes_to_the_values_c_set() {
    let bytes = c_bytes("busy2");
    assert_eq!(bytes.len(), 96);
    let mut fifo0 = [0u8; 16];
    fifo0[..6].copy_from_slice(b"hello!");
    let port0 = SerialPort {
        uart_reg: [0, 0x05, 0, 0x03, 0x0b, 0, 0, 0x5a],
        rxtx: Rxtx { fifo: fifo0, head: 6, tail: 3, count: 3 },
        dlab: false,
        overrun: false,
        divisor: 12,
        fcr: 0xc1,
        max_fifo_size: 16,
        intr_trigger_level: 1,
    };
    let port1 = SerialPort {
        uart_reg: [0, 0, 0, 0x83, 0, 0, 0, 0],
        rxtx: Rxtx {
            fifo: core::array::from_fn(|i| 0xa0 + u8::try_from(i).unwrap()),
            head: 7,
            tail: 7,
            count: 16,
        },
        dlab: true,
        overrun: true,
        divisor: 0x0180,
        fcr: 0x01,
        max_fifo_size: 16,
        intr_trigger_level: 1,
    };
    let expected = MttyState::two(port0, port1);
    assert_eq!(common::decode("mtty-2", &bytes).unwrap(), Decoded::Mtty(expected));
    let mut out = [0u8; 96];
    assert_eq!(expected.encode_bytes(&mut out).unwrap(), 96);
    assert_eq!(out.as_slice(), bytes.as_slice(), "the encoder reproduces the C bytes, padding included");
}

#[test]
fn a_reset_one_port_state_written_by_c_round_trips() {
    let bytes = c_bytes("reset1");
    assert_eq!(bytes.len(), 60);
    assert_eq!(common::decode("mtty-1", &bytes).unwrap(), Decoded::Mtty(MttyState::one(SerialPort::reset())));
    common::round_trips("mtty-1", &bytes);
}

#[test]
fn a_c_state_of_one_type_is_refused_for_the_other() {
    let two = c_bytes("busy2");
    let e = common::refuses("mtty-1", &two, migseal_codecs::ErrorCode::MttyPortCount, 16);
    assert_eq!(e.detail(), migseal_codecs::Detail::Value { expected: 1, found: 2 });
    common::refuses("mtty-2", &c_bytes("reset1"), migseal_codecs::ErrorCode::MttyPortCount, 16);
}
