//! The recently finished jobs `GET /v1/jobs` lists and `GET /v1/jobs/{id}` falls back to: newest
//! first, one per job id, at most [`RECENT_JOBS`]. Every job looks its id up twice (its start
//! supersedes an earlier record, its end replaces one), so the ids are indexed: a scan of the
//! whole list per lookup was a measurable part of the worker's CPU per job (docs/NOTES.md).

use std::collections::{HashSet, VecDeque};

use crate::job::JobRecord;

/// How many finished jobs are remembered.
const RECENT_JOBS: usize = 500;

/// The recent records and the set of their ids.
#[derive(Default)]
pub(super) struct Recent {
    records: VecDeque<JobRecord>,
    ids: HashSet<String>,
}

impl Recent {
    /// Forgets the record of `job_id`, if one is remembered.
    pub(super) fn remove(&mut self, job_id: &str) {
        if self.ids.remove(job_id) {
            self.records.retain(|record| record.job_id != job_id);
        }
    }

    /// Remembers `record` as the newest, in place of any earlier one of its job id; the oldest
    /// goes beyond the bound.
    pub(super) fn push(&mut self, record: JobRecord) {
        self.remove(&record.job_id);
        self.ids.insert(record.job_id.clone());
        self.records.push_front(record);
        while self.records.len() > RECENT_JOBS {
            if let Some(oldest) = self.records.pop_back() {
                self.ids.remove(&oldest.job_id);
            }
        }
    }

    /// The record of `job_id`, if remembered.
    pub(super) fn get(&self, job_id: &str) -> Option<&JobRecord> {
        if !self.ids.contains(job_id) {
            return None;
        }
        self.records.iter().find(|record| record.job_id == job_id)
    }

    /// The records, newest first.
    pub(super) fn iter(&self) -> impl Iterator<Item = &JobRecord> {
        self.records.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::{JobRequest, State};

    fn record(job_id: &str) -> JobRecord {
        let request = JobRequest::from_message(
            r#"{"url":"u","provider":"p","name":"n","teamId":"t","userId":"u1","bearerToken":"b","timezone":"UTC"}"#,
        )
        .expect("valid");
        JobRecord::new(job_id, &request, "w", "c", State::Completed)
    }

    #[test]
    fn one_record_per_job_newest_first_and_bounded() {
        let mut recent = Recent::default();
        for n in 0..RECENT_JOBS + 10 {
            recent.push(record(&format!("j{n}")));
        }
        recent.push(record("j600"));
        recent.push(record(&format!("j{}", RECENT_JOBS + 9)));
        assert_eq!(recent.iter().count(), RECENT_JOBS);
        assert_eq!(recent.iter().next().map(|r| r.job_id.as_str()), Some(format!("j{}", RECENT_JOBS + 9).as_str()));
        assert_eq!(recent.iter().filter(|r| r.job_id == format!("j{}", RECENT_JOBS + 9)).count(), 1);
        assert!(recent.get("j0").is_none() && recent.get("j11").is_some(), "the oldest went");
        recent.remove("j11");
        assert!(recent.get("j11").is_none());
        assert_eq!(recent.iter().count(), RECENT_JOBS - 1);
        assert_eq!(recent.ids.len(), RECENT_JOBS - 1, "the index follows the list");
    }
}
