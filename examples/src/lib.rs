//! Runnable examples live beside this crate root; see `Cargo.toml` for the list.
