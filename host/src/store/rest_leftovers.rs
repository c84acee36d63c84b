//! REST jobs an earlier process with this worker id left unfinished. A peer recovers them only
//! once this id's heartbeat expires; a worker restarted sooner must end them itself, before it
//! notes any REST job of its own, or it could not tell its own from the earlier ones.

use super::JobStore;

impl JobStore {
    /// Ends failed the REST jobs an earlier process with this worker id left running; once done,
    /// later calls return at once. REST jobs of this process wait for it before they are noted.
    pub async fn end_rest_leftovers(&self) -> Result<(), redis::RedisError> {
        let mut done = self.inner.rest_leftovers_ended.lock().await;
        if *done {
            return Ok(());
        }
        let running: Vec<String> = {
            let state = self.state();
            state.active.iter().filter(|(_, entry)| entry.message.is_none()).map(|(id, _)| id.clone()).collect()
        };
        let ended = self.inner.records.end_rest_leftovers(&running).await?;
        if ended > 0 {
            tracing::warn!(jobs = ended, "ended REST jobs an earlier run of this worker id left unfinished");
        }
        *done = true;
        Ok(())
    }
}
