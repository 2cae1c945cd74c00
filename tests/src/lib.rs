//! Integration tests live beside this crate root (`conformance.rs`, ...).
