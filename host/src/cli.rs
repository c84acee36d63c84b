//! The command line (docs/REFERENCE.md section 1).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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

/// `meetbot check-plugin`.
#[derive(Debug, Args)]
#[command(
    after_help = "The library is loaded exactly as `meetbot run` loads the libraries of `plugins.dirs` (its folder and the file must not be writable by other users; ABI version and type layouts are checked).

The plugin's URL rules run on one sample link per meeting host it declares (https://HOST/, and https://www.DOMAIN/ for *.DOMAIN; a plugin may refuse such a bare link) and on every --url, for each of its providers. A refused link is a finding, not a failure; a URL the plugin returns that the host's URL policy refuses is a bug in the plugin (exit 1).

--scenario runs one session as the worker runs a job: Chromium launched with the `[browser]` settings of --config (e.g. host-resolver rules for a test server), the `[auto_leave]` limits, no Redis. Every report is printed as it arrives; Ctrl-C asks the bot to leave.

Exit codes: 0 fine; 1 the library is refused, a returned URL is refused by the host, or the scenario's job did not end `completed`; 2 usage error."
)]
pub struct CheckPluginArgs {
    /// The plugin library (`.so`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// A meeting link to run the plugin's URL rules on (repeatable).
    #[arg(long = "url", value_name = "URL")]
    pub urls: Vec<String>,
    /// Run one real session against this meeting link and print every report.
    #[arg(long, value_name = "URL")]
    pub scenario: Option<String>,
    /// The scenario job's provider; the plugin's first when absent.
    #[arg(long, requires = "scenario")]
    pub provider: Option<String>,
    /// The bot's display name in the scenario.
    #[arg(long, default_value = "meetbot check", requires = "scenario")]
    pub name: String,
    /// Record the scenario's meeting and store it as `[recording]` and `[storage]` say (off by default).
    #[arg(long, requires = "scenario")]
    pub record: bool,
}

/// `meetbot status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON (one object) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `meetbot enqueue`.
#[derive(Debug, Args)]
pub struct EnqueueArgs {
    /// Provider (`google`, `microsoft`, `zoom`, or any a plugin declares).
    #[arg(long)]
    pub provider: String,
    /// Meeting link.
    #[arg(long)]
    pub url: String,
    /// The bot's display name.
    #[arg(long)]
    pub name: String,
    /// Owner team id.
    #[arg(long, default_value = "cli")]
    pub team_id: String,
    /// Owner user id.
    #[arg(long, default_value = "cli")]
    pub user_id: String,
    /// Opaque token for integrations.
    #[arg(long, env = "MEETBOT_BEARER_TOKEN", default_value = "cli", hide_env_values = true)]
    pub bearer_token: String,
    /// IANA time zone.
    #[arg(long, default_value = "UTC")]
    pub timezone: String,
    /// Bot id (becomes the job id); a new UUID when absent.
    #[arg(long)]
    pub bot_id: Option<String>,
    /// Calendar event id.
    #[arg(long)]
    pub event_id: Option<String>,
    /// RFC 3339 time to join at.
    #[arg(long)]
    pub join_at: Option<String>,
    /// Auto-leave overrides as JSON, e.g. `{"max_duration_secs":600}`.
    #[arg(long)]
    pub auto_leave: Option<String>,
    /// Follow the job's state live until it ends; exit 0 for `completed`, 1 otherwise.
    #[arg(long)]
    pub wait: bool,
}
