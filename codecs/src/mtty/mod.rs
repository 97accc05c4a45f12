//! mtty: the migration data of the Linux sample mediated device driver
//! `samples/vfio-mdev/mtty.c` (live migration support since Linux 6.7),
//! byte for byte as the C compiler lays it out on x86_64.
//!
//! ```c
//! struct mtty_data {                    /* offset */
//!     u64 magic;                        /*  0  MTTY_MAGIC 0x7e9d09898c3e2c4e */
//!     u32 major_ver;                    /*  8  MTTY_MAJOR_VER 1 */
//!     u32 minor_ver;                    /* 12  MTTY_MINOR_VER 0 */
//!     u32 nr_ports;                     /* 16  1 (mtty-1) or 2 (mtty-2) */
//!     u32 flags;                        /* 20  0 */
//!     struct serial_port ports[2];      /* 24, 36 bytes each */
//! };
//! ```
//!
//! The driver sends `offsetof(struct mtty_data, ports) + nr_ports *
//! sizeof(struct serial_port)` bytes: 60 for `mtty-1`, 96 for `mtty-2`
//! (`mtty_data_size`). On resume it refuses a header with the wrong magic,
//! non-zero flags, another version or another port count
//! (`mtty_resume_write`), more bytes than that size (`-ENOMEM`) and fewer
//! (`mtty_load_state`, `-EINVAL`). It then `memcpy`s each port into the
//! device without looking at it, so a FIFO head of 200 indexes far past
//! `fifo[16]` at the next guest read. This codec refuses all of it; see
//! [`port`] for the per-port invariants.

pub mod port;

use migseal_verifier::VerifiedPayload;

use crate::codec::{Codec, Handles};
use crate::error::{Detail, Error, ErrorCode, Result};
use crate::wire::{Reader, Writer};
pub use port::{MAX_FIFO_SIZE, PORT_LEN, Rxtx, SerialPort};

/// `MTTY_MAGIC`.
pub const MAGIC: u64 = 0x7e9d_0989_8c3e_2c4e;
/// `MTTY_MAJOR_VER`.
pub const MAJOR_VER: u32 = 1;
/// `MTTY_MINOR_VER`.
pub const MINOR_VER: u32 = 0;
/// `offsetof(struct mtty_data, ports)`.
pub const HEADER_LEN: usize = 24;

/// The two mdev types of mtty.c (`mtty_types[]`: sysfs names "1" and "2",
/// shown as `mtty-1` and `mtty-2`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum MttyType {
    /// `mtty-1`: "Single port serial".
    One,
    /// `mtty-2`: "Dual port serial".
    Two,
}

impl MttyType {
    /// The type for an mdev type id.
    #[must_use]
    pub fn from_device_type(name: &str) -> Option<Self> {
        match name {
            "mtty-1" => Some(Self::One),
            "mtty-2" => Some(Self::Two),
            _ => None,
        }
    }

    /// The mdev type id.
    #[must_use]
    pub const fn device_type(self) -> &'static str {
        match self {
            Self::One => "mtty-1",
            Self::Two => "mtty-2",
        }
    }

    /// `nr_ports`.
    #[must_use]
    pub const fn ports(self) -> u32 {
        match self {
            Self::One => 1,
            Self::Two => 2,
        }
    }

    /// `mtty_data_size()`: 60 or 96.
    #[must_use]
    pub const fn data_len(self) -> usize {
        match self {
            Self::One => HEADER_LEN + PORT_LEN,
            Self::Two => HEADER_LEN + 2 * PORT_LEN,
        }
    }
}

/// A decoded mtty state: the type and one or two ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MttyState {
    kind: MttyType,
    ports: [SerialPort; 2],
}

impl MttyState {
    /// A one-port (`mtty-1`) state.
    #[must_use]
    pub const fn one(port: SerialPort) -> Self {
        Self { kind: MttyType::One, ports: [port, SerialPort::reset()] }
    }

    /// A two-port (`mtty-2`) state.
    #[must_use]
    pub const fn two(port0: SerialPort, port1: SerialPort) -> Self {
        Self { kind: MttyType::Two, ports: [port0, port1] }
    }

    /// The mdev type.
    #[must_use]
    pub const fn kind(&self) -> MttyType {
        self.kind
    }

    /// The ports (one or two).
    #[must_use]
    pub fn ports(&self) -> &[SerialPort] {
        match self.kind {
            MttyType::One => self.ports.get(..1).unwrap_or(&[]),
            MttyType::Two => &self.ports,
        }
    }

    /// The ports, mutable.
    pub fn ports_mut(&mut self) -> &mut [SerialPort] {
        match self.kind {
            MttyType::One => self.ports.get_mut(..1).unwrap_or(&mut []),
            MttyType::Two => &mut self.ports,
        }
    }

    /// Decodes the bytes of a state for `kind`: the header, the exact
    /// length, then every port.
    ///
    /// # Errors
    ///
    /// 700 (header cut short), 710–714, then the per-port codes 702 and
    /// 715–722, each at the offset of the offending byte.
    pub fn decode_bytes(kind: MttyType, bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let magic = r.le64("magic")?;
        if magic != MAGIC {
            return Err(Error::new(ErrorCode::MttyBadMagic, 0).in_field("magic"));
        }
        for (field, want) in [("major_ver", MAJOR_VER), ("minor_ver", MINOR_VER)] {
            let at = r.offset();
            let found = r.le32(field)?;
            if found != want {
                return Err(Error::at(ErrorCode::MttyVersion, at)
                    .in_field(field)
                    .with_detail(Detail::Value { expected: u64::from(want), found: u64::from(found) }));
            }
        }
        let nr_ports = r.le32("nr_ports")?;
        if nr_ports != kind.ports() {
            return Err(Error::new(ErrorCode::MttyPortCount, 16).in_field("nr_ports").with_detail(
                Detail::Value { expected: u64::from(kind.ports()), found: u64::from(nr_ports) },
            ));
        }
        let flags = r.le32("flags")?;
        if flags != 0 {
            return Err(Error::new(ErrorCode::MttyFlags, 20)
                .in_field("flags")
                .with_detail(Detail::Value { expected: 0, found: u64::from(flags) }));
        }
        if bytes.len() != kind.data_len() {
            return Err(Error::at(ErrorCode::MttySize, bytes.len().min(kind.data_len()))
                .in_field("ports")
                .with_detail(Detail::Value {
                    expected: u64::try_from(kind.data_len()).unwrap_or(u64::MAX),
                    found: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
                }));
        }
        let mut state = Self { kind, ports: [SerialPort::reset(); 2] };
        for (i, port) in state.ports_mut().iter_mut().enumerate() {
            *port = SerialPort::read(&mut r)
                .map_err(|e| e.in_field(PORT_FIELDS.get(i).copied().unwrap_or("")))?;
        }
        r.finish("ports")?;
        Ok(state)
    }

    /// Encodes into `out`: the header, then the ports.
    ///
    /// # Errors
    ///
    /// 703 when `out` is shorter than [`MttyType::data_len`]; a per-port
    /// invariant code when a port breaks one.
    pub fn encode_bytes(&self, out: &mut [u8]) -> Result<usize> {
        for (i, port) in self.ports().iter().enumerate() {
            let base = HEADER_LEN.saturating_add(PORT_LEN.saturating_mul(i));
            port.check(base).map_err(|e| e.in_field(PORT_FIELDS.get(i).copied().unwrap_or("")))?;
        }
        let mut w = Writer::new(out);
        w.le64(MAGIC)?.le32(MAJOR_VER)?.le32(MINOR_VER)?.le32(self.kind.ports())?.le32(0)?;
        for port in self.ports() {
            port.write(&mut w)?;
        }
        Ok(w.written())
    }
}

/// Field names for errors: which port.
const PORT_FIELDS: [&str; 2] = ["ports[0]", "ports[1]"];

/// The mtty codec (`linux` / `vfio-pci` / `mtty-1`, `mtty-2` / codec
/// `mtty` / state version 1.0, the stream's own version).
#[derive(Clone, Copy, Debug, Default)]
pub struct Mtty;

impl Codec for Mtty {
    const HANDLES: Handles = Handles {
        vendor: "linux",
        device_api: "vfio-pci",
        codec: "mtty",
        device_types: &["mtty-1", "mtty-2"],
        state_versions: &[(1, 0)],
    };
    type State<'a> = MttyState;

    fn decode<'a>(payload: VerifiedPayload<'a>) -> Result<MttyState> {
        let id = payload.identity();
        Self::HANDLES.check(&id)?;
        let kind = MttyType::from_device_type(id.device_type)
            .ok_or(Error::new(ErrorCode::UnsupportedIdentity, 0).in_field("identity.device_type"))?;
        MttyState::decode_bytes(kind, payload.bytes())
    }

    fn encoded_len(state: &MttyState) -> usize {
        state.kind.data_len()
    }

    fn encode(state: &MttyState, out: &mut [u8]) -> Result<usize> {
        state.encode_bytes(out)
    }
}

#[cfg(feature = "arbitrary")]
impl<'a> arbitrary::Arbitrary<'a> for MttyState {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let kind: MttyType = u.arbitrary()?;
        let p0: SerialPort = u.arbitrary()?;
        Ok(match kind {
            MttyType::One => Self::one(p0),
            MttyType::Two => Self::two(p0, u.arbitrary()?),
        })
    }
}
