//! The worker's meeting slots, shared by REST and the queue.
//!
//! A slot is taken with a non-blocking `try_acquire` by whoever has a job in hand, so a REST
//! request and a queue message can never both get the last one. The consumer waits for a slot to
//! be free before it blocks on the queue, but does not hold it while blocked: an idle worker must
//! not look busy to REST clients.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slots of one worker.
#[derive(Debug, Clone)]
pub struct Slots {
    semaphore: Arc<Semaphore>,
}

/// One taken slot; dropping it frees the slot and wakes the consumer at once.
#[derive(Debug)]
pub struct Slot {
    _permit: OwnedSemaphorePermit,
}

impl Slots {
    /// `total` slots, all free.
    pub fn new(total: usize) -> Self {
        Self { semaphore: Arc::new(Semaphore::new(total)) }
    }

    /// Takes a free slot, if any.
    pub fn try_take(&self) -> Option<Slot> {
        self.semaphore.clone().try_acquire_owned().ok().map(|permit| Slot { _permit: permit })
    }

    /// Resolves as soon as at least one slot is free, without taking it.
    pub async fn until_free(&self) {
        if let Ok(permit) = self.semaphore.acquire().await {
            drop(permit);
        }
    }

    /// Slots free now.
    pub fn free(&self) -> usize {
        self.semaphore.available_permits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_last_slot_goes_to_exactly_one_taker() {
        let slots = Slots::new(1);
        let first = slots.try_take();
        assert!(first.is_some());
        assert!(slots.try_take().is_none());
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(1), slots.until_free()).await.expect("freed");
        assert_eq!(slots.free(), 1);
    }

    #[tokio::test]
    async fn concurrent_takers_never_exceed_the_total() {
        let slots = Slots::new(3);
        let handles: Vec<_> = (0..50)
            .map(|_| {
                let slots = slots.clone();
                tokio::spawn(async move { slots.try_take() })
            })
            .collect();
        let mut taken = Vec::new();
        for handle in handles {
            if let Some(slot) = handle.await.expect("task") {
                taken.push(slot);
            }
        }
        assert_eq!(taken.len(), 3);
    }
}
