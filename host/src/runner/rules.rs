//! Auto-leave rules (docs/REFERENCE.md section 2, `auto_leave.*`, overridable per job with `autoLeave`): from what the
//! plugin reports, the next moment the bot must leave on its own, and why.

use std::time::Duration;

use tokio::time::Instant;

use crate::{
    config::AutoLeaveConfig,
    job::{AutoLeaveOverrides, Reason, State},
};

/// The effective limits of one job.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    waiting_room: Duration,
    no_one_joined: Duration,
    everyone_left: Duration,
    silence: Duration,
    silence_activate_after: Duration,
    max_duration: Duration,
}

impl Limits {
    /// The configured limits with the job's overrides applied.
    pub fn new(config: &AutoLeaveConfig, overrides: &AutoLeaveOverrides) -> Self {
        let secs = |key: &str, default: u64| Duration::from_secs(overrides.get(key).copied().unwrap_or(default));
        Self {
            waiting_room: secs("waiting_room_timeout_secs", config.waiting_room_timeout_secs),
            no_one_joined: secs("no_one_joined_timeout_secs", config.no_one_joined_timeout_secs),
            everyone_left: secs("everyone_left_timeout_secs", config.everyone_left_timeout_secs),
            silence: secs("silence_timeout_secs", config.silence_timeout_secs),
            silence_activate_after: secs("silence_activate_after_secs", config.silence_activate_after_secs),
            max_duration: secs("max_duration_secs", config.max_duration_secs),
        }
    }
}

/// What the rules know about the meeting so far.
#[derive(Debug, Clone)]
pub struct Rules {
    limits: Limits,
    started: Instant,
    state: State,
    in_call_since: Option<Instant>,
    others_seen: bool,
    alone_since: Option<Instant>,
    last_sound: Option<Instant>,
    /// The latest quiet level report since `last_sound`: silence is proven by reports, so a meter
    /// whose reports stall (a busy machine, a page change) never passes for a quiet meeting.
    last_quiet: Option<Instant>,
}

impl Rules {
    /// Rules for a job that started joining at `started`.
    pub fn new(limits: Limits, started: Instant) -> Self {
        Self {
            limits,
            started,
            state: State::Joining,
            in_call_since: None,
            others_seen: false,
            alone_since: None,
            last_sound: None,
            last_quiet: None,
        }
    }

    /// The bot moved to `state`.
    pub fn on_state(&mut self, state: State, now: Instant) {
        if state == State::InCall && self.in_call_since.is_none() {
            self.in_call_since = Some(now);
        }
        self.state = state;
    }

    /// The participant count (the bot included) changed.
    pub fn on_participants(&mut self, count: u32, now: Instant) {
        if count >= 2 {
            self.others_seen = true;
            self.alone_since = None;
        } else if self.alone_since.is_none() {
            self.alone_since = Some(now);
        }
    }

    /// The meeting's audio was heard (the recorder reports it), or metering began.
    pub fn on_sound(&mut self, now: Instant) {
        self.last_sound = Some(now);
        self.last_quiet = None;
    }

    /// The recorder reported a level too low to count as sound.
    pub fn on_quiet(&mut self, now: Instant) {
        if self.last_sound.is_some() {
            self.last_quiet = Some(now);
        }
    }

    /// The earliest moment a rule makes the bot leave, with its reason. A limit too large to
    /// add to a moment (configuration is not bounded) never fires rather than panic.
    pub fn next(&self) -> Option<(Instant, Reason)> {
        let Some(in_call) = self.in_call_since else {
            // Not admitted yet: one bound for the whole way in, so a plugin stuck on an unknown
            // page cannot hold the slot forever.
            let reason =
                if self.state == State::WaitingRoom { Reason::WaitingRoomTimeout } else { Reason::InternalError };
            return self.started.checked_add(self.limits.waiting_room).map(|at| (at, reason));
        };
        let mut candidates = vec![(in_call.checked_add(self.limits.max_duration), Reason::MaxDuration)];
        if !self.others_seen {
            candidates.push((in_call.checked_add(self.limits.no_one_joined), Reason::NoOneJoined));
        }
        if let (true, Some(alone)) = (self.others_seen, self.alone_since) {
            candidates.push((alone.checked_add(self.limits.everyone_left), Reason::EveryoneLeft));
        }
        if let (Some(sound), Some(quiet)) = (self.last_sound, self.last_quiet) {
            let due = sound
                .checked_add(self.limits.silence)
                .zip(in_call.checked_add(self.limits.silence_activate_after))
                .map(|(after_sound, active)| after_sound.max(active));
            if due.is_some_and(|due| quiet >= due) {
                candidates.push((Some(quiet), Reason::Silence));
            }
        }
        candidates.into_iter().filter_map(|(at, reason)| Some((at?, reason))).min_by_key(|(at, _)| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(overrides: &[(&str, u64)]) -> (Rules, Instant) {
        let overrides = overrides.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect();
        let now = Instant::now();
        (Rules::new(Limits::new(&AutoLeaveConfig::default(), &overrides), now), now)
    }

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn waiting_room_times_out_from_the_start() {
        let (mut r, t0) = rules(&[("waiting_room_timeout_secs", 5)]);
        r.on_state(State::WaitingRoom, t0 + S);
        assert_eq!(r.next(), Some((t0 + 5 * S, Reason::WaitingRoomTimeout)));
    }

    #[test]
    fn admission_switches_to_call_rules() {
        let (mut r, t0) = rules(&[("max_duration_secs", 100), ("no_one_joined_timeout_secs", 10)]);
        r.on_state(State::InCall, t0 + S);
        assert_eq!(r.next(), Some((t0 + 11 * S, Reason::NoOneJoined)));
        r.on_participants(3, t0 + 2 * S);
        assert_eq!(r.next(), Some((t0 + 101 * S, Reason::MaxDuration)));
    }

    #[test]
    fn everyone_left_only_after_others_were_seen() {
        let (mut r, t0) = rules(&[("everyone_left_timeout_secs", 4), ("no_one_joined_timeout_secs", 50)]);
        r.on_state(State::InCall, t0);
        r.on_participants(1, t0 + S);
        assert_eq!(r.next(), Some((t0 + 50 * S, Reason::NoOneJoined)));
        r.on_participants(2, t0 + 2 * S);
        r.on_participants(1, t0 + 3 * S);
        assert_eq!(r.next(), Some((t0 + 7 * S, Reason::EveryoneLeft)));
        r.on_participants(2, t0 + 4 * S);
        assert_ne!(r.next().map(|n| n.1), Some(Reason::EveryoneLeft));
    }

    #[test]
    fn silence_waits_for_activation() {
        let (mut r, t0) = rules(&[("silence_timeout_secs", 5), ("silence_activate_after_secs", 20)]);
        r.on_state(State::InCall, t0);
        r.on_participants(2, t0);
        r.on_sound(t0 + S);
        r.on_quiet(t0 + 19 * S);
        assert_ne!(r.next().map(|n| n.1), Some(Reason::Silence), "quiet for 18 s, but not active before 20 s");
        r.on_quiet(t0 + 20 * S);
        assert_eq!(r.next(), Some((t0 + 20 * S, Reason::Silence)));
        r.on_sound(t0 + 30 * S);
        r.on_quiet(t0 + 35 * S);
        assert_eq!(r.next(), Some((t0 + 35 * S, Reason::Silence)));
    }

    #[test]
    fn a_limit_too_large_for_the_clock_never_fires_and_never_panics() {
        let huge = Duration::MAX;
        let config = AutoLeaveConfig {
            waiting_room_timeout_secs: u64::MAX,
            max_duration_secs: u64::MAX,
            ..AutoLeaveConfig::default()
        };
        let t0 = Instant::now();
        let mut r = Rules::new(Limits::new(&config, &AutoLeaveOverrides::new()), t0);
        r.on_state(State::WaitingRoom, t0);
        assert_eq!(r.next(), None);
        r.on_state(State::InCall, t0);
        r.on_participants(2, t0);
        assert_eq!(r.next(), None);
        assert!(t0.checked_add(huge).is_none());
    }

    #[test]
    fn silence_is_proven_by_quiet_reports_not_by_missing_ones() {
        let (mut r, t0) = rules(&[("silence_timeout_secs", 5), ("silence_activate_after_secs", 0)]);
        r.on_state(State::InCall, t0);
        r.on_participants(2, t0);
        r.on_sound(t0);
        r.on_quiet(t0 + S);
        // The meter goes quiet once, then its reports stall: no silence is concluded.
        assert_ne!(r.next().map(|n| n.1), Some(Reason::Silence));
        r.on_quiet(t0 + 6 * S);
        assert_eq!(r.next(), Some((t0 + 6 * S, Reason::Silence)));
    }
}
