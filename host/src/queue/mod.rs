//! The Redis side of the worker's intake (docs/REFERENCE.md sections 5 and 6): the consumer that takes
//! messages, the heartbeat that keeps them owned, orphan recovery, and the `joinAt` schedule.

mod consumer;
mod heartbeat;
mod in_hand;
mod intake;
mod pacing;
mod schedule;

pub use consumer::Consumer;
pub use heartbeat::Heartbeat;
pub use pacing::FleetSize;
pub use schedule::Promoter;
