//! Telling clients how jobs went: the original service's results/failures records.

pub mod results;
