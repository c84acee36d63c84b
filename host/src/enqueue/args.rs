//! The command line of `meetbot enqueue`.

use clap::Args;

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
