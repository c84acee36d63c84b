//! The test-only plugins of meetbot's process-level tests and benchmarks.
//!
//! The plugins are `cdylib` examples of this package (`scripted.rs`, `incompatible.rs`), so they are
//! written to `target/<profile>/examples/` and never next to a `meetbot` binary, whose folder a
//! worker scans for plugins: a release build can never pick up a test plugin. `cargo test` builds
//! them; a benchmark needs `cargo build --release -p meetbot-test-plugins --examples` first.
//!
//! This library is what the scripted plugin's session plays: the [`Script`] its meeting URL spells.

mod script;

pub use script::{Lobby, PanicAt, Script};
