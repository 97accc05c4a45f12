//! The lists' constructors and accessors: `from_slice` limits are
//! inclusive (a list of exactly `max` items is accepted, one more is
//! `LengthOverLimit` naming both numbers); `is_empty` tells the empty list
//! from the others.

#![allow(clippy::unwrap_used)]

use migseal_format::envelope::{IdentList, StateVersion, VersionRange, VersionRanges};
use migseal_format::{Detail, ErrorCode, Ident};

#[test]
fn an_ident_list_of_exactly_max_items_is_accepted_and_one_more_refused() {
    let items = ["a", "b", "c"].map(|s| Ident::new(s).unwrap());
    assert_eq!(IdentList::from_slice(&items, 3).unwrap().len(), 3);
    let e = IdentList::from_slice(&items, 2).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::LengthOverLimit, 0));
    assert_eq!(e.detail(), Detail::Limit { limit: 2, found: 3 });
}

#[test]
fn version_ranges_of_exactly_max_items_are_accepted_and_one_more_refused() {
    let range = |a, b| VersionRange::new(StateVersion::new(a, 0), StateVersion::new(b, 0)).unwrap();
    let items = [range(1, 1), range(3, 4)];
    assert_eq!(VersionRanges::from_slice(&items, 2).unwrap().len(), 2);
    let e = VersionRanges::from_slice(&items, 1).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::LengthOverLimit, 0));
    assert_eq!(e.detail(), Detail::Limit { limit: 1, found: 2 });
}

#[test]
fn only_the_empty_ident_list_is_empty() {
    let items = ["a", "b"].map(|s| Ident::new(s).unwrap());
    assert!(IdentList::from_slice(&[], 4).unwrap().is_empty());
    assert!(!IdentList::from_slice(&items, 4).unwrap().is_empty());
    assert!(!IdentList::single(items[0]).is_empty());
}

#[test]
fn version_ranges_are_never_empty() {
    let range = VersionRange::new(StateVersion::new(1, 0), StateVersion::new(1, 0)).unwrap();
    assert!(!VersionRanges::single(range).is_empty());
    assert!(!VersionRanges::from_slice(&[range], 1).unwrap().is_empty());
    assert_eq!(VersionRanges::from_slice(&[], 1).unwrap_err().code(), ErrorCode::InvalidDescriptor);
}

#[test]
fn version_ranges_contain_exactly_the_versions_inside_some_range() {
    let v = StateVersion::new;
    let ranges = [VersionRange::new(v(1, 0), v(1, 2)).unwrap(), VersionRange::new(v(3, 0), v(3, 0)).unwrap()];
    let set = VersionRanges::from_slice(&ranges, 2).unwrap();
    for inside in [v(1, 0), v(1, 1), v(1, 2), v(3, 0)] {
        assert!(set.contains(inside), "{inside:?}");
    }
    for outside in [v(0, 9), v(1, 3), v(2, 0), v(3, 1)] {
        assert!(!set.contains(outside), "{outside:?}");
    }
}

#[test]
fn version_range_sets_are_equal_only_with_the_same_ranges() {
    let v = StateVersion::new;
    let a = VersionRange::new(v(1, 0), v(1, 2)).unwrap();
    let b = VersionRange::new(v(2, 0), v(2, 0)).unwrap();
    let one_a = [a];
    let one_b = [b];
    let a_b = [a, b];
    let set = |s| VersionRanges::from_slice(s, 4).unwrap();
    assert_eq!(set(&one_a), VersionRanges::single(a));
    assert_ne!(set(&one_a), set(&one_b), "same length, another range");
    assert_ne!(set(&one_a), set(&a_b), "a prefix is not the set");
    assert_ne!(set(&a_b), set(&one_a));
}

#[test]
fn decoded_lists_iterate_to_the_items_that_were_encoded() {
    use migseal_format::cbor::Encoder;
    use migseal_format::envelope::{Descriptor, DeviceIdentity, Role};
    let v = StateVersion::new;
    let id = |s| Ident::new(s).unwrap();
    let ranges = [VersionRange::new(v(1, 0), v(1, 2)).unwrap(), VersionRange::new(v(3, 0), v(3, 0)).unwrap()];
    let features = [id("f1"), id("f2")];
    let codecs = [id("c")];
    let d = Descriptor {
        role: Role::Destination,
        identity: DeviceIdentity { vendor: id("v"), device_api: id("api"), device_type: id("t") },
        versions: VersionRanges::from_slice(&ranges, 4).unwrap(),
        features: IdentList::from_slice(&features, 4).unwrap(),
        config: None,
        codecs: IdentList::from_slice(&codecs, 4).unwrap(),
    };
    let mut e = Encoder::new(Vec::new());
    d.encode(&mut e).unwrap();
    let bytes = e.finish().unwrap();
    let decoded = Descriptor::decode(&bytes).unwrap();
    assert_eq!(decoded.versions.iter().collect::<Vec<_>>(), ranges);
    assert!(decoded.versions.contains(v(3, 0)) && !decoded.versions.contains(v(2, 0)));
    assert_eq!(decoded.features.iter().collect::<Vec<_>>(), features);
    assert!(!decoded.features.is_empty());
}

#[test]
fn ident_lists_are_equal_only_with_the_same_identifiers() {
    let items = ["a", "b"].map(|s| Ident::new(s).unwrap());
    let list = |s| IdentList::from_slice(s, 4).unwrap();
    assert_eq!(list(&items[..1]), IdentList::single(items[0]));
    assert_ne!(list(&items[..1]), list(&items), "a prefix is not the list");
    assert_ne!(list(&items), list(&items[..1]));
    assert_ne!(list(&items[..1]), list(&items[1..]), "same length, another identifier");
}

#[test]
fn version_ranges_must_be_sorted_and_disjoint() {
    let v = StateVersion::new;
    let range = |a, b| VersionRange::new(a, b).unwrap();
    // Starting just above the previous end is accepted; at or below it is not.
    let ok = [range(v(1, 0), v(1, 2)), range(v(1, 3), v(2, 0))];
    assert_eq!(VersionRanges::from_slice(&ok, 4).unwrap().len(), 2);
    for second in [range(v(1, 2), v(3, 0)), range(v(1, 1), v(1, 1)), range(v(0, 5), v(0, 9))] {
        let items = [range(v(1, 0), v(1, 2)), second];
        let e = VersionRanges::from_slice(&items, 4).unwrap_err();
        // The offset is the index of the range out of order.
        assert_eq!((e.code(), e.offset()), (ErrorCode::ListNotSorted, 1), "{second:?}");
        assert_eq!(e.detail(), Detail::Value { expected: 1, found: u64::from(second.min.major) });
    }
    // Only the pair out of order is named: the third of three here.
    let items = [range(v(1, 0), v(1, 0)), range(v(2, 0), v(4, 0)), range(v(3, 0), v(5, 0))];
    let e = VersionRanges::from_slice(&items, 4).unwrap_err();
    assert_eq!((e.code(), e.offset()), (ErrorCode::ListNotSorted, 2));
    assert_eq!(e.detail(), Detail::Value { expected: 4, found: 3 });
}
