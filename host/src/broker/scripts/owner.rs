//! The keys of a job's current owner for the duplicate check of `claim`, `schedule` and
//! `start_rest` (`is_active_elsewhere` in `lua/prelude.lua`): the check reads the owner's
//! heartbeat and processing list, but the owner is named only inside the job's record, and a script
//! may touch only the keys passed in KEYS. So the check is optimistic: the first call passes no
//! owner's keys, which is all the common cases need (no record, a finished one, this worker's own, a
//! scheduled job), so intake stays one round trip. When the record names another worker, the script
//! writes nothing and answers `need_owner` with its id, and the wrapper calls again with that
//! worker's keys. The owner may change in between (a peer took the job over), so after a few calls
//! the wrapper gives up with an error worth retrying.

use redis::{ErrorKind, RedisError, RedisResult, ScriptInvocation, ServerErrorKind};

use crate::broker::Keys;

/// A script's answer when the record names an owner whose keys it was not given.
pub(super) const NEED_OWNER: &str = "need_owner";

/// Most calls of one duplicate check.
const MOST_CALLS: usize = 3;

/// The worker whose keys the next call passes as the record's owner, and how many calls were made.
#[derive(Debug, Default)]
pub(super) struct OwnerKeys {
    owner: Option<String>,
    calls: usize,
}

impl OwnerKeys {
    /// The owner's id as the scripts take it: '' when no keys are passed.
    pub(super) fn id(&self) -> &str {
        self.owner.as_deref().unwrap_or("")
    }

    /// Appends the owner's heartbeat key to KEYS, and its processing list when `with_processing`
    /// (a queue message's check needs it; a REST job's does not).
    pub(super) fn add_keys(&self, invocation: &mut ScriptInvocation<'_>, keys: &Keys, with_processing: bool) {
        if let Some(owner) = &self.owner {
            invocation.key(keys.heartbeat_of(owner));
            if with_processing {
                invocation.key(keys.processing_of(owner));
            }
        }
    }

    /// The script asked for `owner`'s keys: the next call passes them. An error (worth retrying
    /// later) once the check has been called too often for `job_id`.
    pub(super) fn ask_for(&mut self, owner: String, job_id: &str) -> RedisResult<()> {
        self.calls += 1;
        if self.calls >= MOST_CALLS {
            return Err(RedisError::from((
                ErrorKind::Server(ServerErrorKind::TryAgain),
                "the job's owner kept changing during its duplicate check",
                format!("job {job_id}, last owner {owner}"),
            )));
        }
        self.owner = Some(owner);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_owner_is_passed_until_a_script_asks_for_one() {
        let mut owner = OwnerKeys::default();
        assert_eq!(owner.id(), "");
        owner.ask_for("w2".to_owned(), "job").expect("a second call");
        assert_eq!(owner.id(), "w2");
    }

    #[test]
    fn an_owner_that_keeps_changing_is_an_error_worth_retrying() {
        let mut owner = OwnerKeys::default();
        owner.ask_for("w2".to_owned(), "job").expect("a second call");
        owner.ask_for("w3".to_owned(), "job").expect("a third call");
        let error = owner.ask_for("w4".to_owned(), "job").expect_err("no fourth call");
        assert!(!crate::broker::is_permanent(&error), "{error}");
    }
}
