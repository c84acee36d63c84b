//! Jobs: what a client asks for, the states a job moves through, and the record kept of it.

pub mod id;
pub mod record;
mod request;
mod state;

pub use record::JobRecord;
pub use request::{AutoLeaveOverrides, JobRequest, RequestError, Secret};
pub use state::{Reason, State, TransitionError};
