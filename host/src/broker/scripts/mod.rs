//! One thin wrapper per atomic Redis operation. Each operation is a Lua script in `lua/` whose
//! header documents its KEYS and ARGV; shared helpers come from `lua/prelude.lua`.
//!
//! Every key a script touches is passed in KEYS (Redis Cluster routes a script by its keys, and
//! Redis documents keys a script builds itself as unsupported). Where the keys depend on data only
//! Redis holds, the wrapper reads first or asks the script which keys it needs (see `owner`).

mod intake;
mod owner;
mod queue;
mod recovery;
mod running;

use std::sync::LazyLock;

use redis::Script;

pub use intake::{Claim, ClaimArgs, ScheduleArgs, Scheduled, cancel_scheduled, claim, promote, schedule, start_rest};
pub use queue::{
    QUEUE_HEAD_TTL_SECS, copies_held, dead_letter, heartbeat, queue_head, reclaim_own, requeue, retire, take,
};
pub use recovery::{end_own_rest, recover_peers};
pub use running::{FinishArgs, Step, check_owned, fail_unrun, finish, give_back, transition};

macro_rules! script {
    ($name:ident, $file:literal) => {
        static $name: LazyLock<Script> =
            LazyLock::new(|| Script::new(concat!(include_str!("../lua/prelude.lua"), "\n", include_str!($file))));
    };
}

script!(CLAIM, "../lua/claim.lua");
script!(START_REST, "../lua/start_rest.lua");
script!(TRANSITION, "../lua/transition.lua");
script!(FINISH, "../lua/finish.lua");
script!(GIVE_BACK, "../lua/give_back.lua");
script!(REQUEUE, "../lua/requeue.lua");
script!(DEAD_LETTER, "../lua/dead_letter.lua");
script!(SCHEDULE, "../lua/schedule.lua");
script!(PROMOTE, "../lua/promote.lua");
script!(CANCEL_SCHEDULED, "../lua/cancel_scheduled.lua");
script!(HEARTBEAT, "../lua/heartbeat.lua");
script!(EXPIRED_PEERS, "../lua/expired_peers.lua");
script!(RECOVER_PEER, "../lua/recover_peer.lua");
script!(RECLAIM_OWN, "../lua/reclaim_own.lua");
script!(END_OWN_REST, "../lua/end_own_rest.lua");
script!(RETIRE, "../lua/retire.lua");
script!(CHECK_OWNED, "../lua/check_owned.lua");
script!(FAIL_UNRUN, "../lua/fail_unrun.lua");
script!(QUEUE_HEAD, "../lua/queue_head.lua");
script!(TAKE, "../lua/take.lua");

/// Record fields as `field, value` pairs, the form every script takes them in.
pub type Fields = Vec<(&'static str, String)>;

fn flatten(fields: &Fields) -> Vec<&str> {
    fields.iter().flat_map(|(k, v)| [*k, v.as_str()]).collect()
}

/// A change to a running job's record, as `apply_change` of `lua/prelude.lua` takes it: the worker
/// writes what differs from its last write, not the whole record each time.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// Fields set, as pairs.
    pub set: Fields,
    /// Fields removed.
    pub unset: Vec<&'static str>,
    /// Whether `set` is the whole record (the script may then write it where the record is gone).
    pub whole: bool,
}

impl Change {
    fn add_args(&self, invocation: &mut redis::ScriptInvocation<'_>) {
        invocation.arg(2 * self.set.len()).arg(flatten(&self.set)).arg(self.unset.len()).arg(&self.unset);
    }
}

/// Which delivery of a running job this worker holds: scripts that write the job check it (the
/// `owns` helper of `lua/prelude.lua`) and refuse once the job is someone else's.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// The job id.
    pub job_id: &'a str,
    /// The delivery count the record had when this worker claimed the job (1 for REST jobs).
    pub attempt: u32,
    /// The queue message, for queue jobs; `None` for REST jobs.
    pub message: Option<&'a str>,
}

/// Whether a write to a running job went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Written.
    Ok,
    /// Refused: this worker no longer owns the job (a peer took it over, or ended it).
    Lost,
}

impl Written {
    fn from_status(status: &str) -> Self {
        if status == "lost" { Written::Lost } else { Written::Ok }
    }
}

/// What a write of a [`Change`] answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// Written, or refused (see [`Written`]).
    Written(Written),
    /// The record is gone (Redis lost its data) and the change was not the whole record: nothing
    /// was written; the whole record must be sent.
    Missing,
}

impl Changed {
    fn from_status(status: &str) -> Self {
        if status == "missing" { Changed::Missing } else { Changed::Written(Written::from_status(status)) }
    }
}
