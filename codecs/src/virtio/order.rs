//! The rules that span the parts of one device-data record: the order
//! the VIRTIO specification prescribes ("Device parts order"), uniqueness,
//! mandatory preceding parts, queue indices against `num_queues`, and
//! driver features against device features. Constant memory: a handful of
//! flags and the last selector of each repeatable type.

use crate::error::{Detail, Error, ErrorCode, Result};
use crate::virtio::part::{CommonCfgField, Features, Part};

/// Names of the ranked part types, for "missing" messages.
const RANK_NAMES: [&str; 6] = [
    "VIRTIO_DEV_PART_DEV_FEATURES",
    "VIRTIO_DEV_PART_DRV_FEATURES",
    "VIRTIO_DEV_PART_PCI_COMMON_CFG",
    "VIRTIO_DEV_PART_DEVICE_STATUS",
    "VIRTIO_DEV_PART_VQ_CFG",
    "VIRTIO_DEV_PART_VQ_NOTIFY_CFG",
];

/// State of the checks over one record.
#[derive(Debug, Default)]
pub(crate) struct RecordRules<'a> {
    /// Bit `r` set once a part of rank `r` was seen.
    seen: u8,
    last_rank: u8,
    last_common: Option<u32>,
    last_vq: Option<u16>,
    last_notify: Option<u16>,
    num_queues: Option<u16>,
    dev_features: Option<Features<'a>>,
}

impl<'a> RecordRules<'a> {
    /// Checks `part`, which starts at payload offset `at`, against the
    /// parts before it in the same record.
    pub(crate) fn check(&mut self, part: &Part<'a>, at: usize) -> Result<()> {
        let Some(rank) = part.rank() else {
            // Device-specific and optional unknown parts: the order table
            // does not place them.
            return Ok(());
        };
        if rank < self.last_rank {
            return Err(Error::at(ErrorCode::VirtioPartOrder, at)
                .in_field("part.part_type")
                .with_detail(Detail::Found(u64::from(part.part_type()))));
        }
        // The table's mandatory preceding parts; for DRV_FEATURES the
        // device-side rule that DEV_FEATURES precedes it in a GET result.
        for (r, name) in RANK_NAMES.iter().enumerate().take(usize::from(rank)) {
            if self.seen & (1u8 << r) == 0 {
                return Err(Error::at(ErrorCode::VirtioMissingPart, at).in_field(name));
            }
        }
        let single = matches!(part, Part::DevFeatures(_) | Part::DrvFeatures(_) | Part::DeviceStatus(_));
        if single && self.seen & (1u8 << rank) != 0 {
            return Err(duplicate(at, u64::from(part.part_type())));
        }
        match *part {
            Part::PciCommonCfg { field, value } => {
                increasing(&mut self.last_common, field.offset(), at)?;
                if field == CommonCfgField::NumQueues {
                    self.num_queues = u16::try_from(value).ok();
                }
            }
            Part::VqCfg { index, .. } => {
                self.queue_index(index, at)?;
                increasing(&mut self.last_vq, index, at)?;
            }
            Part::VqNotifyCfg { index, .. } => {
                self.queue_index(index, at)?;
                increasing(&mut self.last_notify, index, at)?;
            }
            Part::DevFeatures(f) => self.dev_features = Some(f),
            Part::DrvFeatures(f) => self.driver_features(f, at)?,
            _ => {}
        }
        self.seen |= 1u8 << rank;
        self.last_rank = rank;
        Ok(())
    }

    fn queue_index(&self, index: u16, at: usize) -> Result<()> {
        match self.num_queues {
            Some(n) if index >= n => Err(Error::at(ErrorCode::VirtioQueueIndex, at.saturating_add(4))
                .in_field("part.selector.vq_index.index")
                .with_detail(Detail::Limit {
                    limit: u64::from(n.saturating_sub(1)),
                    found: u64::from(index),
                })),
            _ => Ok(()),
        }
    }

    fn driver_features(&self, drv: Features<'a>, at: usize) -> Result<()> {
        let dev = self.dev_features.map(|f| f.words());
        let mut dev = dev.into_iter().flatten();
        for (i, word) in drv.words().enumerate() {
            let offered = dev.next().unwrap_or(0);
            let extra = word & !offered;
            if extra != 0 {
                let bit = u64::from(extra.trailing_zeros())
                    .saturating_add(u64::try_from(i).unwrap_or(u64::MAX).saturating_mul(64));
                return Err(Error::at(
                    ErrorCode::VirtioFeatureNotOffered,
                    at.saturating_add(i.saturating_mul(8).saturating_add(16)),
                )
                .in_field("drv_features.feature_bits")
                .with_detail(Detail::Found(bit)));
            }
        }
        Ok(())
    }
}

fn duplicate(at: usize, what: u64) -> Error {
    Error::at(ErrorCode::VirtioDuplicatePart, at).with_detail(Detail::Found(what))
}

/// Selectors of a repeatable part type must strictly increase: a repeat is
/// a duplicate (the spec: each part "corresponds to a unique" offset or
/// virtqueue), a decrease breaks migseal's canonical order (one state, one
/// encoding; devices emit them in index order).
fn increasing<T: Copy + Ord + Into<u64>>(last: &mut Option<T>, now: T, at: usize) -> Result<()> {
    match *last {
        Some(prev) if now == prev => {
            Err(duplicate(at.saturating_add(4), now.into()).in_field("part.selector"))
        }
        Some(prev) if now < prev => Err(Error::at(ErrorCode::VirtioPartOrder, at.saturating_add(4))
            .in_field("part.selector")
            .with_detail(Detail::Value { expected: prev.into(), found: now.into() })),
        _ => {
            *last = Some(now);
            Ok(())
        }
    }
}
