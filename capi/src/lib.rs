//! Placeholder: built out by a later issue.
#![no_std]
