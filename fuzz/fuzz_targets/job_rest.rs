//! A REST body of arbitrary bytes into the job parser, as the API reads it (a JSON object, else a
//! 400 before the parser), for `POST /v1/jobs` (provider from the body) and the compat routes
//! (provider from the path).

#![no_main]

use libfuzzer_sys::fuzz_target;
use meetbot_fuzz::job::{check_accepted, check_refused};
use meetbot_host::job::JobRequest;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(data) else { return };
    for route_provider in [None, Some("google")] {
        match JobRequest::from_rest(&body, route_provider) {
            Ok(job) => {
                assert!(job.bot_id.is_some() || job.event_id.is_some(), "a REST job without botId or eventId");
                if let Some(provider) = route_provider {
                    assert_eq!(job.provider, provider, "the route's provider must win");
                }
                check_accepted(&job);
            }
            Err(error) => check_refused(&error),
        }
    }
});
