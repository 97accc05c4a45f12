//! One mtty serial port: `struct serial_port` of
//! `samples/vfio-mdev/mtty.c`, 36 bytes on x86_64, and the invariants the
//! driver keeps but never checks on load.
//!
//! ```c
//! #define MAX_FIFO_SIZE   16
//! struct rxtx {                 /* offset in serial_port */
//!     u8 fifo[MAX_FIFO_SIZE];   /*  8 .. 24 */
//!     u8 head, tail;            /* 24, 25   */
//!     u8 count;                 /* 26       */
//! };                            /* size 19, align 1 */
//! struct serial_port {
//!     u8 uart_reg[8];           /*  0 ..  8 */
//!     struct rxtx rxtx;         /*  8 .. 27 */
//!     bool dlab;                /* 27       */
//!     bool overrun;             /* 28       */
//!                               /* 29: 1 byte padding (u16 alignment) */
//!     u16 divisor;              /* 30 .. 32, little-endian */
//!     u8 fcr;                   /* 32       */
//!     u8 max_fifo_size;         /* 33       */
//!     u8 intr_trigger_level;    /* 34       */
//!                               /* 35: 1 byte tail padding (size 36, align 2) */
//! };
//! ```

use crate::error::{Detail, Error, ErrorCode, Result};
use crate::wire::{Reader, Writer};

/// `MAX_FIFO_SIZE` of mtty.c.
pub const MAX_FIFO_SIZE: u8 = 16;
/// `sizeof(struct serial_port)` on x86_64.
pub const PORT_LEN: usize = 36;

/// UART register offsets (`include/uapi/linux/serial_reg.h`) that mtty's
/// `handle_bar_write` never stores into `uart_reg[]`: RX/TX (0), IIR/FCR
/// (2; FCR goes to `fcr`), LSR (5) and MSR (6). They stay zero from
/// `kzalloc`, so a non-zero value was not written by the driver.
pub const UNUSED_REGISTERS: [usize; 4] = [0, 2, 5, 6];
/// `UART_LCR` and its DLAB bit: `handle_bar_write` sets `dlab` exactly when
/// it stores a line control value with bit 7 set.
pub const UART_LCR: usize = 3;
/// `UART_LCR_DLAB`.
pub const UART_LCR_DLAB: u8 = 0x80;
/// The trigger levels `handle_bar_write` can leave in `intr_trigger_level`:
/// 0 (never configured) and the four FCR levels it names (it then forces 1).
pub const TRIGGER_LEVELS: [u8; 5] = [0, 1, 4, 8, 14];

/// The loop-back FIFO (`struct rxtx`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct Rxtx {
    /// The ring buffer, stale slots included (they are real state bytes).
    pub fifo: [u8; 16],
    /// Next slot written (`CIRCULAR_BUF_INC_IDX` keeps it in 0..=15).
    pub head: u8,
    /// Next slot read.
    pub tail: u8,
    /// Bytes in the FIFO, 0..=16; 16 means full with `head == tail`.
    pub count: u8,
}

/// One serial port's state (`struct serial_port`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub struct SerialPort {
    /// The eight UART registers as the driver stores them (IER, LCR, MCR
    /// and SCR; the others stay zero).
    pub uart_reg: [u8; 8],
    /// The loop-back FIFO.
    pub rxtx: Rxtx,
    /// Divisor latch access (mirrors LCR bit 7).
    pub dlab: bool,
    /// Overrun seen.
    pub overrun: bool,
    /// Baud divisor.
    pub divisor: u16,
    /// Last FIFO control register value written.
    pub fcr: u8,
    /// 16 with the FIFO enabled, 1 without.
    pub max_fifo_size: u8,
    /// Interrupt trigger level.
    pub intr_trigger_level: u8,
}

impl SerialPort {
    /// A port as `mtty_init_dev` leaves it: all zero, FIFO size 16.
    #[must_use]
    pub const fn reset() -> Self {
        Self {
            uart_reg: [0; 8],
            rxtx: Rxtx { fifo: [0; 16], head: 0, tail: 0, count: 0 },
            dlab: false,
            overrun: false,
            divisor: 0,
            fcr: 0,
            max_fifo_size: MAX_FIFO_SIZE,
            intr_trigger_level: 0,
        }
    }

    /// Checks every invariant; `base` is the port's offset in the payload,
    /// so errors name the byte where the offending field is.
    ///
    /// # Errors
    ///
    /// 715–717 and 719–722 (see [`ErrorCode`]).
    pub fn check(&self, base: usize) -> Result<()> {
        let at = |rel: usize| base.saturating_add(rel);
        for i in UNUSED_REGISTERS {
            let v = self.uart_reg.get(i).copied().unwrap_or(0);
            if v != 0 {
                return Err(Error::at(ErrorCode::MttyUnusedRegister, at(i))
                    .in_field("uart_reg")
                    .with_detail(Detail::Value { expected: 0, found: u64::from(v) }));
            }
        }
        let r = &self.rxtx;
        let limit = u64::from(MAX_FIFO_SIZE - 1);
        if r.head >= MAX_FIFO_SIZE {
            return Err(Error::at(ErrorCode::MttyFifoIndex, at(24))
                .in_field("rxtx.head")
                .with_detail(Detail::Limit { limit, found: u64::from(r.head) }));
        }
        if r.tail >= MAX_FIFO_SIZE {
            return Err(Error::at(ErrorCode::MttyFifoIndex, at(25))
                .in_field("rxtx.tail")
                .with_detail(Detail::Limit { limit, found: u64::from(r.tail) }));
        }
        if r.count > MAX_FIFO_SIZE {
            return Err(Error::at(ErrorCode::MttyFifoCount, at(26))
                .in_field("rxtx.count")
                .with_detail(Detail::Limit { limit: u64::from(MAX_FIFO_SIZE), found: u64::from(r.count) }));
        }
        // Every write does head++ with count++, every read tail++ with
        // count--, both modulo 16, so head - tail == count (mod 16).
        let span = r.head.wrapping_sub(r.tail) & (MAX_FIFO_SIZE - 1);
        if span != r.count & (MAX_FIFO_SIZE - 1) {
            return Err(Error::at(ErrorCode::MttyFifoInconsistent, at(26))
                .in_field("rxtx.count")
                .with_detail(Detail::Value { expected: u64::from(span), found: u64::from(r.count) }));
        }
        let lcr_dlab = self.uart_reg.get(UART_LCR).copied().unwrap_or(0) & UART_LCR_DLAB != 0;
        if self.dlab != lcr_dlab {
            return Err(Error::at(ErrorCode::MttyDlab, at(27))
                .in_field("dlab")
                .with_detail(Detail::Value { expected: u64::from(lcr_dlab), found: u64::from(self.dlab) }));
        }
        if self.max_fifo_size != 1 && self.max_fifo_size != MAX_FIFO_SIZE {
            return Err(Error::at(ErrorCode::MttyFifoSize, at(33))
                .in_field("max_fifo_size")
                .with_detail(Detail::Found(u64::from(self.max_fifo_size))));
        }
        if !TRIGGER_LEVELS.contains(&self.intr_trigger_level) {
            return Err(Error::at(ErrorCode::MttyTriggerLevel, at(34))
                .in_field("intr_trigger_level")
                .with_detail(Detail::Found(u64::from(self.intr_trigger_level))));
        }
        Ok(())
    }

    /// Reads one port (36 bytes) at the reader's position.
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        let base = r.offset();
        let uart_reg = r.array("uart_reg")?;
        let fifo = r.array("rxtx.fifo")?;
        let head = r.u8("rxtx.head")?;
        let tail = r.u8("rxtx.tail")?;
        let count = r.u8("rxtx.count")?;
        let dlab = read_bool(r, "dlab")?;
        let overrun = read_bool(r, "overrun")?;
        r.zeros(1, "padding after overrun")?;
        let divisor = r.le16("divisor")?;
        let fcr = r.u8("fcr")?;
        let max_fifo_size = r.u8("max_fifo_size")?;
        let intr_trigger_level = r.u8("intr_trigger_level")?;
        r.zeros(1, "tail padding")?;
        let port = Self {
            uart_reg,
            rxtx: Rxtx { fifo, head, tail, count },
            dlab,
            overrun,
            divisor,
            fcr,
            max_fifo_size,
            intr_trigger_level,
        };
        port.check(base)?;
        Ok(port)
    }

    /// Writes the 36 bytes, padding zero.
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<()> {
        w.bytes(&self.uart_reg)?
            .bytes(&self.rxtx.fifo)?
            .u8(self.rxtx.head)?
            .u8(self.rxtx.tail)?
            .u8(self.rxtx.count)?
            .u8(u8::from(self.dlab))?
            .u8(u8::from(self.overrun))?
            .zeros(1)?
            .le16(self.divisor)?
            .u8(self.fcr)?
            .u8(self.max_fifo_size)?
            .u8(self.intr_trigger_level)?
            .zeros(1)?;
        Ok(())
    }
}

/// A C `bool` byte: 0 or 1; anything else is undefined behaviour once the
/// driver `memcpy`s it into a `bool`.
fn read_bool(r: &mut Reader<'_>, field: &'static str) -> Result<bool> {
    let at = r.offset();
    match r.u8(field)? {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(Error::at(ErrorCode::MttyBool, at).in_field(field).with_detail(Detail::Found(u64::from(v)))),
    }
}
