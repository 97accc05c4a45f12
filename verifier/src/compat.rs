//! The compatibility check: one pure function that decides whether a state
//! described by a source (an emit-descriptor, or an image header) can be
//! taken by a destination (an accept-descriptor).
//!
//! libvirt calls it during the migration handshake, a management UI calls
//! it in the browser, and the verifier calls it on the header at restore
//! time: the kernel keeps the last word and userspace gets an accurate
//! forecast, because it is the same code.

use core::fmt;

use migseal_format::envelope::{Descriptor, Role, ShellConfig, StateVersion, VersionRange};
use migseal_format::{Ident, errno};

/// Most reasons a [`Compatibility`] keeps; more are counted, not kept.
/// Only missing features can overflow it: every other kind of reason
/// (at most seven, one per rule) is always kept.
pub const MAX_REASONS: usize = 16;

/// Reasons the check can add after the missing features (config, codec).
const REASONS_AFTER_FEATURES: usize = 2;

/// Declares the compatibility code table: one row per code generates the
/// variant, its number, name, errno and one-line summary, and
/// [`CompatCode::ALL`]. A row is `Variant = code, "name", ERRNO, "summary";`.
macro_rules! compat_codes {
    (
        $(#[$meta:meta])*
        pub enum $Enum:ident {
            $( $(#[$doc:meta])* $Variant:ident = $code:literal, $name:literal, $errno:ident, $summary:literal; )*
        }
    ) => {
        $(#[$meta])*
        pub enum $Enum {
            $( $(#[$doc])* $Variant, )*
        }

        impl $Enum {
            /// Every code, in numeric order (also the order of the check's
            /// rules, after the role rule).
            pub const ALL: &'static [Self] = &[ $( Self::$Variant, )* ];

            /// The stable number.
            #[must_use]
            pub const fn code(self) -> u16 {
                match self { $( Self::$Variant => $code, )* }
            }

            /// The stable short name.
            #[must_use]
            pub const fn name(self) -> &'static str {
                match self { $( Self::$Variant => $name, )* }
            }

            /// The errno a kernel caller returns (positive): a device that
            /// cannot take the state does not support the operation.
            #[must_use]
            pub const fn errno(self) -> i32 {
                match self { $( Self::$Variant => errno::$errno, )* }
            }

            /// One line that stands alone, without the specifics a
            /// [`Reason`] names (the C ABI's `migseal_status_message`).
            #[must_use]
            pub const fn summary(self) -> &'static str {
                match self { $( Self::$Variant => $summary, )* }
            }
        }
    };
}

compat_codes! {
    /// Stable codes of compatibility refusals (spec §9, 500–507).
    #[non_exhaustive]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub enum CompatCode {
        /// Different vendor.
        VendorMismatch = 500, "vendor-mismatch", EOPNOTSUPP,
            "the state is for another vendor's device";
        /// Different device API.
        DeviceApiMismatch = 501, "device-api-mismatch", EOPNOTSUPP,
            "the state is for another device API";
        /// Different device type.
        DeviceTypeMismatch = 502, "device-type-mismatch", EOPNOTSUPP,
            "the state is for another device type";
        /// No common state version.
        VersionUnsupported = 503, "version-unsupported", EOPNOTSUPP,
            "the state version is outside every version the device accepts";
        /// A feature the state depends on that the destination lacks.
        FeatureMissing = 504, "feature-missing", EOPNOTSUPP,
            "the state depends on a feature the device lacks";
        /// Shell-device configurations differ.
        ConfigMismatch = 505, "config-mismatch", EOPNOTSUPP,
            "the shell-device configurations differ";
        /// No common codec.
        CodecUnsupported = 506, "codec-unsupported", EOPNOTSUPP,
            "the device decodes none of the state's codecs";
        /// The descriptors are not a source and a destination.
        RoleMismatch = 507, "role-mismatch", EOPNOTSUPP,
            "the descriptors are not a source and a destination";
    }
}

/// What a config looked like on one side, for a mismatch message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigSide<S> {
    /// No configuration.
    Absent,
    /// A configuration of this kind.
    Present(S),
}

/// One reason why a source cannot go to a destination. `S` is the string
/// type: borrowed [`Ident`] from [`check`], or an inline copy inside a
/// verifier error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason<S> {
    /// The descriptors are not a source and a destination.
    RoleMismatch {
        /// Role of the first argument.
        source: Role,
        /// Role of the second argument.
        destination: Role,
    },
    /// Different vendor.
    VendorMismatch {
        /// The source's vendor.
        source: S,
        /// The destination's vendor.
        destination: S,
    },
    /// Different device API.
    DeviceApiMismatch {
        /// The source's device API.
        source: S,
        /// The destination's device API.
        destination: S,
    },
    /// Different device type.
    DeviceTypeMismatch {
        /// The source's device type.
        source: S,
        /// The destination's device type.
        destination: S,
    },
    /// No version the source emits is accepted.
    VersionUnsupported {
        /// Lowest and highest version the source emits.
        source: VersionRange,
        /// Lowest and highest version the destination accepts.
        destination: VersionRange,
    },
    /// A feature the source's state depends on that the destination lacks.
    FeatureMissing {
        /// The feature.
        feature: S,
    },
    /// Shell-device configurations differ.
    ConfigMismatch {
        /// The source's config.
        source: ConfigSide<S>,
        /// The destination's config.
        destination: ConfigSide<S>,
    },
    /// The destination decodes none of the source's codecs.
    CodecUnsupported {
        /// The source's first codec.
        source: S,
        /// The destination's first codec.
        destination: S,
    },
}

impl<S: Copy> Reason<S> {
    /// The stable code of this reason.
    #[must_use]
    pub const fn code(&self) -> CompatCode {
        match self {
            Self::RoleMismatch { .. } => CompatCode::RoleMismatch,
            Self::VendorMismatch { .. } => CompatCode::VendorMismatch,
            Self::DeviceApiMismatch { .. } => CompatCode::DeviceApiMismatch,
            Self::DeviceTypeMismatch { .. } => CompatCode::DeviceTypeMismatch,
            Self::VersionUnsupported { .. } => CompatCode::VersionUnsupported,
            Self::FeatureMissing { .. } => CompatCode::FeatureMissing,
            Self::ConfigMismatch { .. } => CompatCode::ConfigMismatch,
            Self::CodecUnsupported { .. } => CompatCode::CodecUnsupported,
        }
    }

    /// The same reason with its strings converted by `f`.
    pub fn map<T>(self, mut f: impl FnMut(S) -> T) -> Reason<T> {
        let side = |c: ConfigSide<S>, f: &mut dyn FnMut(S) -> T| match c {
            ConfigSide::Absent => ConfigSide::Absent,
            ConfigSide::Present(k) => ConfigSide::Present(f(k)),
        };
        match self {
            Self::RoleMismatch { source, destination } => Reason::RoleMismatch { source, destination },
            Self::VendorMismatch { source, destination } => {
                Reason::VendorMismatch { source: f(source), destination: f(destination) }
            }
            Self::DeviceApiMismatch { source, destination } => {
                Reason::DeviceApiMismatch { source: f(source), destination: f(destination) }
            }
            Self::DeviceTypeMismatch { source, destination } => {
                Reason::DeviceTypeMismatch { source: f(source), destination: f(destination) }
            }
            Self::VersionUnsupported { source, destination } => {
                Reason::VersionUnsupported { source, destination }
            }
            Self::FeatureMissing { feature } => Reason::FeatureMissing { feature: f(feature) },
            Self::ConfigMismatch { source, destination } => Reason::ConfigMismatch {
                source: side(source, &mut f),
                destination: side(destination, &mut f),
            },
            Self::CodecUnsupported { source, destination } => {
                Reason::CodecUnsupported { source: f(source), destination: f(destination) }
            }
        }
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Source => "source",
        Role::Destination => "destination",
    }
}

impl<S: fmt::Display> fmt::Display for Reason<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RoleMismatch { source, destination } => write!(
                f,
                "compared a {} descriptor with a {} descriptor: pass the source's descriptor first and the destination's second",
                role_name(*source),
                role_name(*destination)
            ),
            Self::VendorMismatch { source, destination } => write!(
                f,
                "state is for vendor {source}, this device is vendor {destination}: cross-vendor migration is impossible; choose a destination with a {source} device"
            ),
            Self::DeviceApiMismatch { source, destination } => write!(
                f,
                "state is for device API {source}, this device uses {destination}: choose a destination whose device uses {source}"
            ),
            Self::DeviceTypeMismatch { source, destination } => write!(
                f,
                "state is for device type {source}, this device is type {destination}: create the destination device as type {source}"
            ),
            Self::VersionUnsupported { source, destination } => write!(
                f,
                "state version {source} is outside every version this device accepts ({destination}): update the destination's driver, or have the source emit a version it accepts"
            ),
            Self::FeatureMissing { feature } => write!(
                f,
                "state depends on feature {feature}, which this device does not support: choose a destination that has {feature}"
            ),
            Self::ConfigMismatch { source, destination } => {
                f.write_str("shell-device configuration differs: ")?;
                match (source, destination) {
                    (ConfigSide::Present(k), ConfigSide::Absent) => {
                        write!(f, "the state carries a {k} configuration, this device has none")?;
                    }
                    (ConfigSide::Absent, ConfigSide::Present(k)) => {
                        write!(f, "this device has a {k} configuration, the state carries none")?;
                    }
                    (ConfigSide::Present(a), ConfigSide::Present(b)) => {
                        write!(
                            f,
                            "state configuration ({a}) and device configuration ({b}) are not byte-identical"
                        )?;
                    }
                    (ConfigSide::Absent, ConfigSide::Absent) => f.write_str("(none on either side)")?,
                }
                f.write_str("; configure the destination exactly like the source (same adapters and domains)")
            }
            Self::CodecUnsupported { source, destination } => write!(
                f,
                "state is encoded with codec {source}, this device decodes {destination}: no common codec; update the destination's driver"
            ),
        }
    }
}

/// The outcome of [`check`]: every reason, bounded, and the version both
/// sides would use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compatibility<'a> {
    reasons: [Option<Reason<Ident<'a>>>; MAX_REASONS],
    kept: usize,
    total: usize,
    version: Option<StateVersion>,
}

impl<'a> Compatibility<'a> {
    fn new() -> Self {
        Self { reasons: [None; MAX_REASONS], kept: 0, total: 0, version: None }
    }

    fn push(&mut self, r: Reason<Ident<'a>>) {
        // Missing features are the only reason that can repeat (up to 32
        // times). They leave room for the config and codec reasons that
        // follow them, so every other kind of reason is always listed and
        // only surplus missing features are merely counted.
        let room = match r {
            Reason::FeatureMissing { .. } => MAX_REASONS.saturating_sub(REASONS_AFTER_FEATURES),
            _ => MAX_REASONS,
        };
        if self.kept < room
            && let Some(slot) = self.reasons.get_mut(self.kept)
        {
            *slot = Some(r);
            self.kept = self.kept.saturating_add(1);
        }
        self.total = self.total.saturating_add(1);
    }

    /// True when there is no reason against the migration.
    #[must_use]
    pub const fn is_compatible(&self) -> bool {
        self.total == 0
    }

    /// The reasons, in the order the spec lists the checks (at most
    /// [`MAX_REASONS`]; when more were found, the surplus are missing
    /// features, counted in [`Compatibility::total`]).
    pub fn reasons(&self) -> impl Iterator<Item = Reason<Ident<'a>>> + '_ {
        self.reasons.iter().flatten().copied()
    }

    /// The first reason, if any.
    #[must_use]
    pub fn first(&self) -> Option<Reason<Ident<'a>>> {
        self.reasons.first().copied().flatten()
    }

    /// How many reasons were found (may exceed those kept).
    #[must_use]
    pub const fn total(&self) -> usize {
        self.total
    }

    /// The highest state version both sides support, when one exists.
    #[must_use]
    pub const fn chosen_version(&self) -> Option<StateVersion> {
        self.version
    }
}

/// Decides whether `source`'s state can be taken by `destination`, and
/// lists every reason it cannot.
///
/// ```
/// use migseal_format::{Ident, envelope::*};
/// use migseal_verifier::compat::{check, CompatCode};
/// let id = |s| Ident::new(s).unwrap();
/// let v1 = [VersionRange::exactly(StateVersion::new(1, 0))];
/// let codec = [id("mtty")];
/// let source = Descriptor {
///     role: Role::Source,
///     identity: DeviceIdentity { vendor: id("linux"), device_api: id("vfio-pci"), device_type: id("mtty-2") },
///     versions: VersionRanges::from_slice(&v1, 16).unwrap(),
///     features: IdentList::EMPTY,
///     config: None,
///     codecs: IdentList::from_slice(&codec, 8).unwrap(),
/// };
/// let mut destination = source;
/// destination.role = Role::Destination;
/// assert!(check(&source, &destination).is_compatible());
/// destination.identity.vendor = id("nvidia");
/// let c = check(&source, &destination);
/// assert_eq!(c.first().unwrap().code(), CompatCode::VendorMismatch);
/// ```
#[must_use]
pub fn check<'a>(source: &Descriptor<'a>, destination: &Descriptor<'a>) -> Compatibility<'a> {
    let mut out = Compatibility::new();
    if source.role != Role::Source || destination.role != Role::Destination {
        out.push(Reason::RoleMismatch { source: source.role, destination: destination.role });
    }
    let (s, d) = (&source.identity, &destination.identity);
    if s.vendor != d.vendor {
        out.push(Reason::VendorMismatch { source: s.vendor, destination: d.vendor });
    }
    if s.device_api != d.device_api {
        out.push(Reason::DeviceApiMismatch { source: s.device_api, destination: d.device_api });
    }
    if s.device_type != d.device_type {
        out.push(Reason::DeviceTypeMismatch { source: s.device_type, destination: d.device_type });
    }

    out.version = highest_common_version(source, destination);
    if out.version.is_none()
        && let (Some(src), Some(dst)) = (span(source), span(destination))
    {
        out.push(Reason::VersionUnsupported { source: src, destination: dst });
    }

    for feature in source.features.iter() {
        if !destination.features.contains(feature) {
            out.push(Reason::FeatureMissing { feature });
        }
    }

    if source.config != destination.config {
        let side = |c: Option<ShellConfig<'a>>| match c {
            None => ConfigSide::Absent,
            Some(c) => ConfigSide::Present(c.kind),
        };
        out.push(Reason::ConfigMismatch {
            source: side(source.config),
            destination: side(destination.config),
        });
    }

    if !source.codecs.iter().any(|c| destination.codecs.contains(c))
        && let (Some(sc), Some(dc)) = (source.codecs.iter().next(), destination.codecs.iter().next())
    {
        out.push(Reason::CodecUnsupported { source: sc, destination: dc });
    }
    out
}

/// The lowest and highest version in a descriptor's ranges.
fn span(d: &Descriptor<'_>) -> Option<VersionRange> {
    let first = d.versions.iter().next()?;
    let last = d.versions.iter().last()?;
    Some(VersionRange { min: first.min, max: last.max })
}

/// The highest version inside both a source range and a destination range.
/// Both lists are bounded (16 ranges), so the pairwise walk is too.
fn highest_common_version(source: &Descriptor<'_>, destination: &Descriptor<'_>) -> Option<StateVersion> {
    let mut best: Option<StateVersion> = None;
    for s in source.versions.iter() {
        for d in destination.versions.iter() {
            let low = s.min.max(d.min);
            let high = s.max.min(d.max);
            if low <= high {
                // `None` orders below every `Some`: the first overlap wins
                // over nothing, a higher one over a lower.
                best = best.max(Some(high));
            }
        }
    }
    best
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use migseal_format::envelope::{DeviceIdentity, IdentList, VersionRanges};

    fn id(s: &str) -> Ident<'_> {
        Ident::new(s).unwrap()
    }

    const V1: [VersionRange; 1] =
        [VersionRange { min: StateVersion { major: 1, minor: 0 }, max: StateVersion { major: 1, minor: 0 } }];

    fn base<'a>(role: Role, codecs: &'a [Ident<'a>], features: &'a [Ident<'a>]) -> Descriptor<'a> {
        Descriptor {
            role,
            identity: DeviceIdentity {
                vendor: id("linux"),
                device_api: id("vfio-pci"),
                device_type: id("mtty-2"),
            },
            versions: VersionRanges::from_slice(&V1, 16).unwrap(),
            features: IdentList::from_slice(features, 32).unwrap(),
            config: None,
            codecs: IdentList::from_slice(codecs, 8).unwrap(),
        }
    }

    #[test]
    fn many_missing_features_never_hide_the_config_and_codec_reasons() {
        let names: std::vec::Vec<std::string::String> = (10..42).map(|i| std::format!("f{i}")).collect();
        let feats: std::vec::Vec<Ident<'_>> = names.iter().map(|n| id(n)).collect();
        let codecs = [id("mtty")];
        let other_codecs = [id("other")];
        let src = base(Role::Source, &codecs, &feats);
        let mut dst = base(Role::Destination, &other_codecs, &[]);
        dst.identity.vendor = id("nvidia");
        let data = [1u8];
        dst.config = Some(ShellConfig::new(id("vfio-ap-matrix"), &data).unwrap());
        let c = check(&src, &dst);
        assert_eq!(c.total(), 1 + 32 + 1 + 1);
        let codes: std::vec::Vec<_> = c.reasons().map(|r| r.code()).collect();
        assert_eq!(codes.len(), MAX_REASONS);
        assert_eq!(codes.first(), Some(&CompatCode::VendorMismatch));
        assert_eq!(&codes[MAX_REASONS - 2..], &[CompatCode::ConfigMismatch, CompatCode::CodecUnsupported]);
        assert!(codes[1..MAX_REASONS - 2].iter().all(|c| *c == CompatCode::FeatureMissing));
    }

    #[test]
    fn every_reason_is_reported() {
        let codecs = [id("mtty")];
        let other_codecs = [id("other")];
        let feats = [id("fifo"), id("irq-v2")];
        let src = base(Role::Source, &codecs, &feats);
        let mut dst = base(Role::Destination, &other_codecs, &[]);
        dst.identity =
            DeviceIdentity { vendor: id("nvidia"), device_api: id("vfio-ccw"), device_type: id("t") };
        let v2 = [VersionRange::exactly(StateVersion::new(2, 0))];
        dst.versions = VersionRanges::from_slice(&v2, 16).unwrap();
        let data = [1u8, 2];
        dst.config = Some(ShellConfig::new(id("vfio-ap-matrix"), &data).unwrap());
        let c = check(&src, &dst);
        let codes: std::vec::Vec<_> = c.reasons().map(|r| r.code()).collect();
        assert_eq!(
            codes,
            [
                CompatCode::VendorMismatch,
                CompatCode::DeviceApiMismatch,
                CompatCode::DeviceTypeMismatch,
                CompatCode::VersionUnsupported,
                CompatCode::FeatureMissing,
                CompatCode::FeatureMissing,
                CompatCode::ConfigMismatch,
                CompatCode::CodecUnsupported,
            ]
        );
        assert_eq!(c.total(), 8);
    }

    #[test]
    fn highest_common_version_is_chosen() {
        let codecs = [id("mtty")];
        let mut src = base(Role::Source, &codecs, &[]);
        let mut dst = base(Role::Destination, &codecs, &[]);
        let s = [VersionRange::new(StateVersion::new(1, 0), StateVersion::new(1, 7)).unwrap()];
        let d = [
            VersionRange::new(StateVersion::new(0, 1), StateVersion::new(1, 3)).unwrap(),
            VersionRange::new(StateVersion::new(2, 0), StateVersion::new(3, 0)).unwrap(),
        ];
        src.versions = VersionRanges::from_slice(&s, 16).unwrap();
        dst.versions = VersionRanges::from_slice(&d, 16).unwrap();
        let c = check(&src, &dst);
        assert!(c.is_compatible());
        assert_eq!(c.chosen_version(), Some(StateVersion::new(1, 3)));
    }

    #[test]
    fn the_highest_of_several_overlaps_is_chosen_not_the_first() {
        let codecs = [id("mtty")];
        let mut src = base(Role::Source, &codecs, &[]);
        let mut dst = base(Role::Destination, &codecs, &[]);
        let r = |a: (u32, u32), b: (u32, u32)| {
            VersionRange::new(StateVersion::new(a.0, a.1), StateVersion::new(b.0, b.1)).unwrap()
        };
        // Overlaps, in walk order: 1.2, then 2.5, then 3.1.
        let s = [r((1, 0), (1, 2)), r((2, 0), (2, 5)), r((3, 0), (3, 1))];
        let d = [r((1, 0), (9, 0))];
        src.versions = VersionRanges::from_slice(&s, 16).unwrap();
        dst.versions = VersionRanges::from_slice(&d, 16).unwrap();
        assert_eq!(check(&src, &dst).chosen_version(), Some(StateVersion::new(3, 1)));
        // The same from the destination's side of the walk.
        assert_eq!(
            check(&base_with(&dst, Role::Source), &base_with(&src, Role::Destination)).chosen_version(),
            Some(StateVersion::new(3, 1))
        );
        // Disjoint ranges: no version, and the reason says so.
        let d = [r((4, 0), (5, 0))];
        dst.versions = VersionRanges::from_slice(&d, 16).unwrap();
        let c = check(&src, &dst);
        assert_eq!(c.chosen_version(), None);
        assert_eq!(c.first().unwrap().code(), CompatCode::VersionUnsupported);
    }

    /// `d` with its role replaced.
    fn base_with<'a>(d: &Descriptor<'a>, role: Role) -> Descriptor<'a> {
        Descriptor { role, ..*d }
    }

    #[test]
    fn one_wrong_role_is_enough_to_refuse() {
        let codecs = [id("mtty")];
        let src = base(Role::Source, &codecs, &[]);
        let dst = base(Role::Destination, &codecs, &[]);
        for (s, d) in [(&src, &src), (&dst, &dst)] {
            let c = check(s, d);
            assert!(!c.is_compatible(), "{:?} -> {:?}", s.role, d.role);
            assert_eq!(c.total(), 1);
            assert_eq!(c.first().unwrap().code(), CompatCode::RoleMismatch);
        }
    }

    #[test]
    fn any_single_reason_makes_the_pair_incompatible() {
        let codecs = [id("mtty")];
        let src = base(Role::Source, &codecs, &[]);
        let mut dst = base(Role::Destination, &codecs, &[]);
        assert!(check(&src, &dst).is_compatible());
        assert_eq!(check(&src, &dst).total(), 0);
        dst.identity.device_type = id("mtty-1");
        let c = check(&src, &dst);
        assert!(!c.is_compatible());
        assert_eq!((c.total(), c.first().unwrap().code()), (1, CompatCode::DeviceTypeMismatch));
    }

    #[test]
    fn swapped_roles_are_refused() {
        let codecs = [id("mtty")];
        let src = base(Role::Source, &codecs, &[]);
        let dst = base(Role::Destination, &codecs, &[]);
        assert!(check(&src, &dst).is_compatible());
        assert_eq!(check(&dst, &src).first().unwrap().code(), CompatCode::RoleMismatch);
    }

    #[test]
    fn destination_may_support_more_features() {
        let codecs = [id("mtty")];
        let few = [id("a")];
        let many = [id("a"), id("b")];
        let src = base(Role::Source, &codecs, &few);
        let dst = base(Role::Destination, &codecs, &many);
        assert!(check(&src, &dst).is_compatible());
        let src = base(Role::Source, &codecs, &many);
        let dst = base(Role::Destination, &codecs, &few);
        let c = check(&src, &dst);
        assert_eq!(c.first(), Some(Reason::FeatureMissing { feature: id("b") }));
    }

    #[test]
    fn a_role_mismatch_names_both_roles_in_order() {
        let r: Reason<&str> = Reason::RoleMismatch { source: Role::Destination, destination: Role::Source };
        let text = std::format!("{r}");
        assert!(text.starts_with("compared a destination descriptor with a source descriptor: "), "{text}");
    }

    #[test]
    fn messages_name_both_sides() {
        let r: Reason<&str> = Reason::VendorMismatch { source: "intel", destination: "nvidia" };
        let text = std::format!("{r}");
        assert!(text.contains("vendor intel, this device is vendor nvidia"), "{text}");
    }
}
