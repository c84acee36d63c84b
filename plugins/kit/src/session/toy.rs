//! A made-up platform for the driver's unit tests: the smallest `Platform` (defaults everywhere).

use meetbot_plugin_api::{SessionState, reason};

use super::{Platform, Step};
use crate::Probe;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Phase {
    Join,
    Lobby,
    Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Signal {
    Removed,
    Left,
    Notice,
    Admitted,
}

pub(super) struct Toy;

impl Platform for Toy {
    type Phase = Phase;
    type Signal = Signal;

    const NAME: &'static str = "Toy";
    const START: Phase = Phase::Join;
    const IN_CALL: Phase = Phase::Call;

    fn state(phase: Phase) -> SessionState {
        match phase {
            Phase::Join => SessionState::Joining,
            Phase::Lobby => SessionState::WaitingRoom,
            Phase::Call => SessionState::InCall,
        }
    }

    fn probes(signal: Signal) -> Vec<Probe> {
        vec![Probe::text(match signal {
            Signal::Removed => "You were removed",
            Signal::Left => "You left",
            Signal::Notice => "Got it",
            Signal::Admitted => "Leave call",
        })]
    }

    fn watched(&self, phase: Phase) -> Vec<Signal> {
        match phase {
            Phase::Call => vec![Signal::Removed, Signal::Left, Signal::Notice],
            Phase::Join | Phase::Lobby => vec![Signal::Removed, Signal::Admitted, Signal::Notice],
        }
    }

    fn decide(phase: Phase, signal: Signal) -> Step<Phase> {
        match signal {
            Signal::Removed => Step::End(reason::REMOVED_FROM_MEETING),
            Signal::Left => Step::End(reason::LEFT_NORMALLY),
            Signal::Notice => Step::Click,
            Signal::Admitted if phase == Phase::Call => Step::Ignore,
            Signal::Admitted => Step::Enter(Phase::Call),
        }
    }

    fn participant_count() -> Vec<Probe> {
        vec![Probe::label("People")]
    }

    fn leave_control() -> Vec<Probe> {
        vec![Probe::button("Leave call")]
    }

    fn leave_confirm() -> Vec<Probe> {
        vec![Probe::dialog_button("Leave")]
    }
}
