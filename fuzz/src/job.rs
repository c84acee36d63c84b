//! Properties of a job the parser accepted (docs/REFERENCE.md section 3): its id is a valid job id, and
//! the message the schedule keeps for it (`to_message`) parses back into the same job.

use meetbot_host::job::{JobRequest, RequestError, id};

/// Checks a job that `from_message` or `from_rest` accepted.
pub fn check_accepted(job: &JobRequest) {
    assert!(id::is_valid(job.job_id()), "accepted job id {:?} is not a valid job id", job.job_id());
    let message = job.to_message();
    let again = JobRequest::from_message(&message)
        .unwrap_or_else(|e| panic!("to_message() of an accepted job does not parse again: {e}\n{message}"));
    if job.bot_id.is_some() || job.event_id.is_some() {
        assert_eq!(again.job_id(), job.job_id(), "to_message() changed the job id\n{message}");
    }
    assert_eq!(again.public_json(), job.public_json(), "to_message() changed the job\n{message}");
}

/// Checks a refusal: its texts are one line each (they become dead-letter details and API errors).
pub fn check_refused(error: &RequestError) {
    for text in [error.to_string(), error.detail()] {
        assert!(!text.contains('\n') && !text.contains('\r'), "refusal is not one line: {text:?}");
    }
}
