//! The command line of `meetbot check-plugin`.

use std::path::PathBuf;

use clap::Args;

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
