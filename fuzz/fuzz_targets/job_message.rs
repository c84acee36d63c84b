//! A queue message of arbitrary bytes into the job parser. The worker dead-letters messages that
//! are not UTF-8 before parsing, so only text reaches `from_message`: the same here.

#![no_main]

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::job::{check_accepted, check_refused};
use meetbot_host::job::JobRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match JobRequest::from_message(text) {
        Ok(job) => check_accepted(&job),
        Err(error) => check_refused(&error),
    }
});
