//! Error precedence (spec §8.6): inputs that break two rules at once, or
//! end right after a deviation, and so pin which refusal is reported.

use super::VectorSet;
use super::fixtures::Fixtures;

/// Adds this group.
pub(super) fn add(_set: &mut VectorSet, _f: &Fixtures) {}
