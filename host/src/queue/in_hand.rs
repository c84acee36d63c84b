//! Messages this process took from the queue and is still handling: between BLMOVE and its job's
//! registration (or its move to the dead-letter list or the schedule), a message is in this
//! worker's processing list but held by no running job. Reclaiming strays (after the blocking
//! connection failed) must keep these too, or a message being started would also go back to the
//! queue and run twice.

use std::sync::{Arc, Mutex, MutexGuard};

/// The messages in hand, shared by the consumer and the tasks handling them.
#[derive(Clone, Default)]
pub struct InHand {
    messages: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// One message in hand; dropping it lets go of it.
pub struct Held {
    in_hand: InHand,
    message: Vec<u8>,
}

impl InHand {
    fn lock(&self) -> MutexGuard<'_, Vec<Vec<u8>>> {
        self.messages.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Notes `message` as in hand, before anything else can look at the processing list.
    pub fn hold(&self, message: &[u8]) -> Held {
        self.lock().push(message.to_vec());
        Held { in_hand: self.clone(), message: message.to_vec() }
    }

    /// The messages in hand now (one entry per copy held).
    pub fn messages(&self) -> Vec<Vec<u8>> {
        self.lock().clone()
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let mut messages = self.in_hand.lock();
        if let Some(position) = messages.iter().position(|m| *m == self.message) {
            messages.swap_remove(position);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_is_in_hand_until_its_handling_lets_go_of_it() {
        let in_hand = InHand::default();
        let first = in_hand.hold(b"m");
        let second = in_hand.hold(b"m");
        let other = in_hand.hold(b"n");
        assert_eq!(in_hand.messages().len(), 3, "each copy counts");
        drop(first);
        assert_eq!(in_hand.messages().iter().filter(|m| m.as_slice() == b"m").count(), 1);
        drop(second);
        drop(other);
        assert!(in_hand.messages().is_empty());
    }
}
