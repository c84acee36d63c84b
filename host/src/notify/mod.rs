//! Telling clients how jobs went: the original service's results/failures records, and webhooks.

pub mod results;
pub mod webhook;
