//! The host side of a session, as the plugin sees it.
#![allow(non_local_definitions)] // emitted by `#[sabi_trait]`, harmless

use abi_stable::{
    StableAbi, sabi_trait,
    std_types::{RBox, RStr},
};
use async_ffi::FfiFuture;

/// Where the bot is in the meeting, as far as the plugin can tell.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Going through the pre-join screens.
    Joining,
    /// Asked to join; waiting to be admitted.
    WaitingRoom,
    /// Admitted: in the call.
    InCall,
    /// Leaving the call.
    Leaving,
}

/// Severity of a plugin log line.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogLevel {
    /// Fine-grained progress.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected the plugin recovered from.
    Warn,
    /// Something failed.
    Error,
}

/// What the host offers a running session. Every method returns at once and never panics.
#[sabi_trait]
pub trait HostContext: Send + Sync {
    /// The bot moved to a new state. The host records it, publishes it and starts or stops the
    /// auto-leave rules that depend on it.
    fn report_state(&self, state: SessionState);

    /// The meeting's participant count, the bot included, as the platform shows it.
    fn report_participants(&self, count: u32);

    /// A platform event worth keeping in the meeting timeline (`kind` is a short snake_case tag).
    fn report_event(&self, kind: RStr<'_>, detail: RStr<'_>);

    /// A log line; the host adds the job id and correlation id.
    fn log(&self, level: LogLevel, message: RStr<'_>);

    /// True once the host wants the bot to leave (cancellation, an auto-leave rule, shutdown).
    fn leave_requested(&self) -> bool;

    /// Resolves once the host wants the bot to leave. Runtime-agnostic: it may be polled from
    /// the plugin's own runtime.
    #[sabi(last_prefix_field)]
    fn wait_leave_requested(&self) -> FfiFuture<()>;
}

/// The owned, FFI-safe handle to the host's [`HostContext`].
pub type HostContextBox = HostContext_TO<'static, RBox<()>>;
