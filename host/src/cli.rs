//! The command line (docs/REFERENCE.md section 1).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::{check_plugin::CheckPluginArgs, enqueue::EnqueueArgs};

/// meetbot: a worker that joins online meetings as a bot and records them.
#[derive(Debug, Parser)]
#[command(name = "meetbot", version, about)]
pub struct Cli {
    /// What to do; `run` when absent.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Config file (else `MEETBOT_CONFIG`, else built-in defaults).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the worker: REST API, Redis consumer (when enabled), plugins.
    Run,
    /// List the plugins found, or why each refused file was refused.
    Plugins,
    /// Validate the configuration and print it with secrets masked.
    CheckConfig,
    /// Push one job onto the Redis queue, exactly as a client would.
    Enqueue(Box<EnqueueArgs>),
    /// Show the fleet as Redis sees it: workers and their jobs, queue, schedule, dead letters.
    Status(StatusArgs),
    /// Check one plugin library: ABI, manifest, URL rules, and optionally one real session.
    CheckPlugin(CheckPluginArgs),
}

/// `meetbot status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON (one object) instead of text.
    #[arg(long)]
    pub json: bool,
}
