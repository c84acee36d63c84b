//! The meetbot worker as a library: the `meetbot` binary is a thin CLI over it, and the
//! integration tests drive the binary itself.

pub mod api;
pub mod app;
pub mod arenas;
pub mod artifacts;
pub mod backoff;
pub mod broker;
pub mod browser;
pub mod check_plugin;
pub mod cli;
pub mod config;
pub mod dispatch;
pub mod enqueue;
pub mod job;
#[cfg(test)]
mod layers;
pub mod leftovers;
pub mod logging;
pub mod metrics_catalog;
pub mod notify;
pub mod plugins;
pub mod queue;
pub mod recorder;
pub mod runner;
pub mod shutdown;
pub mod status;
pub mod storage;
pub mod store;
pub mod workdir;
pub mod worker;
