//! The meeting page's console, collected from the job's start for `console.log`: what the page's
//! scripts logged (`Runtime.consoleAPICalled`), the exceptions nobody caught
//! (`Runtime.exceptionThrown`), and what Chromium itself reported about the page
//! (`Log.entryAdded`: failed requests, blocked content, violations). The page decides how much it
//! logs, so only the newest [`MAX_LINES`] lines and [`MAX_BYTES`] bytes are kept, every line cut
//! to [`MAX_LINE`] bytes, and the job's secrets are masked as each line arrives.
//!
//! The three kinds of events reach us through separate channels, so one kind can overtake
//! another (an exception read before the thousand console lines logged ahead of it): lines are
//! placed by the browser's timestamp, not by when they were read, and "newest" means by that
//! time.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
};

use chromiumoxide::{
    Page,
    cdp::{
        browser_protocol::log::EventEntryAdded,
        js_protocol::runtime::{EventConsoleApiCalled, EventExceptionThrown, RemoteObject, RemoteObjectSubtype},
    },
};
use chrono::{DateTime, SecondsFormat};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::scrub::Scrub;

/// The newest lines kept.
pub const MAX_LINES: usize = 1000;
/// The newest bytes kept.
pub const MAX_BYTES: usize = 256 * 1024;
/// The longest line kept; longer ones are cut.
const MAX_LINE: usize = 4096;

/// The console being collected; stops collecting when dropped.
pub struct Console {
    lines: Arc<Mutex<Lines>>,
    task: JoinHandle<()>,
}

impl Drop for Console {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Console {
    /// Starts collecting `page`'s console; the job's secrets are masked with `scrub`. Returns at
    /// once: right after the launch, subscribing waits until the host's DevTools connection has
    /// set the page up (about 0.2 s), which the session's start does not wait for. The plugin's
    /// own connection takes about as long before it opens the meeting (measured: collecting
    /// began a few ms before the plugin navigated), so what the meeting page logs is collected;
    /// what `about:blank` might log before is not.
    pub fn collect(page: Page, scrub: Scrub) -> Self {
        let lines = Arc::new(Mutex::new(Lines::default()));
        let task = tokio::spawn(run(page, scrub, Arc::clone(&lines)).instrument(tracing::Span::current()));
        Self { lines, task }
    }

    /// What was collected so far, as the text of `console.log`.
    pub fn text(&self) -> String {
        self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).text()
    }
}

/// Subscribes to `page`'s console events and appends a line per event to `lines` until the page
/// goes away.
async fn run(page: Page, scrub: Scrub, lines: Arc<Mutex<Lines>>) {
    let subscribed = futures::try_join!(
        page.event_listener::<EventConsoleApiCalled>(),
        page.event_listener::<EventExceptionThrown>(),
        page.event_listener::<EventEntryAdded>(),
    );
    let (mut calls, mut exceptions, mut entries) = match subscribed {
        Ok(streams) => streams,
        Err(error) => return tracing::warn!(%error, "the page's console is not collected for the debug artifacts"),
    };
    tracing::debug!("collecting the page's console");
    loop {
        let (at, line) = tokio::select! {
            Some(call) = calls.next() => {
                let text = call.args.iter().map(argument).collect::<Vec<_>>().join(" ");
                line(*call.timestamp.inner(), call.r#type.as_ref(), "console", &text)
            }
            Some(thrown) = exceptions.next() => {
                let details = &thrown.exception_details;
                let what = details.exception.as_ref().map(argument).unwrap_or_default();
                let at = details.url.as_deref().map(|url| format!(" ({url}:{})", details.line_number + 1));
                let text = format!("{} {what}{}", details.text, at.unwrap_or_default());
                line(*thrown.timestamp.inner(), "error", "exception", &text)
            }
            Some(added) = entries.next() => {
                let entry = &added.entry;
                let url = entry.url.as_deref().map(|url| format!(" ({url})")).unwrap_or_default();
                let text = format!("{}{url}", entry.text);
                line(*entry.timestamp.inner(), entry.level.as_ref(), entry.source.as_ref(), &text)
            }
            else => break,
        };
        let line = scrub.text(&line);
        lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(at, line);
    }
}

/// One console line: `<time> [<level>] <source>: <text>`, cut to [`MAX_LINE`] bytes, on one line,
/// with the time it was logged at (milliseconds since 1970, as the browser reports it).
fn line(millis: f64, level: &str, source: &str, text: &str) -> (f64, String) {
    #[allow(clippy::cast_possible_truncation)] // milliseconds since 1970 fit in an i64 for ages
    let at = DateTime::from_timestamp_millis(millis as i64)
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true))
        .unwrap_or_default();
    let line = format!("{at} [{level}] {source}: {}", text.replace(['\n', '\r'], "\\n"));
    (millis, cut(line, MAX_LINE))
}

/// A console call's argument as the DevTools console shows it, roughly: strings as they are,
/// other values as JSON, objects by their description.
fn argument(object: &RemoteObject) -> String {
    if object.subtype == Some(RemoteObjectSubtype::Null) {
        return "null".to_owned();
    }
    match (&object.value, &object.unserializable_value, &object.description) {
        (Some(serde_json::Value::String(text)), _, _) => text.clone(),
        (Some(value), _, _) => value.to_string(),
        (None, Some(value), _) => value.inner().clone(),
        (None, None, Some(description)) => description.clone(),
        (None, None, None) => object.r#type.as_ref().to_owned(),
    }
}

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn cut(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

/// The newest lines by the time they were logged, oldest first, within [`MAX_LINES`] and
/// [`MAX_BYTES`].
#[derive(Default)]
struct Lines {
    lines: VecDeque<(f64, String)>,
    bytes: usize,
    dropped: u64,
}

impl Lines {
    /// Places `line`, logged at `at`, after every line logged no later; a line read late lands
    /// near the end, so the search from the back is short.
    fn push(&mut self, at: f64, line: String) {
        self.bytes += line.len() + 1;
        let place = self.lines.iter().rposition(|(earlier, _)| *earlier <= at).map_or(0, |index| index + 1);
        self.lines.insert(place, (at, line));
        while self.lines.len() > MAX_LINES || self.bytes > MAX_BYTES {
            let Some((_, oldest)) = self.lines.pop_front() else { break };
            self.bytes -= oldest.len() + 1;
            self.dropped += 1;
        }
    }

    fn text(&self) -> String {
        let mut text = String::with_capacity(self.bytes + 64);
        if self.dropped > 0 {
            text.push_str(&format!("({} earlier lines not kept)\n", self.dropped));
        }
        for (_, line) in &self.lines {
            text.push_str(line);
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_newest_lines_are_kept_within_both_bounds() {
        let mut lines = Lines::default();
        for i in 0..(MAX_LINES + 5) {
            lines.push(f64::from(u32::try_from(i).unwrap()), format!("line {i}"));
        }
        let text = lines.text();
        assert!(text.starts_with("(5 earlier lines not kept)\nline 5\n"), "{}", &text[..60]);
        assert!(text.ends_with(&format!("line {}\n", MAX_LINES + 4)));

        let mut lines = Lines::default();
        for _ in 0..200 {
            lines.push(0.0, "x".repeat(MAX_LINE - 1));
        }
        assert!(lines.text().len() <= MAX_BYTES + 64, "{}", lines.text().len());
    }

    #[test]
    fn a_line_is_one_line_cut_at_a_character_boundary() {
        let long = format!("a\nb{}", "é".repeat(MAX_LINE));
        let (_, line) = line(0.0, "log", "console", &long);
        assert!(line.starts_with("1970-01-01T00:00:00.000Z [log] console: a\\nb"), "{line}");
        assert!(line.len() <= MAX_LINE && !line.contains('\n'));
    }

    #[test]
    fn a_line_read_after_later_ones_is_placed_by_when_it_was_logged() {
        let mut lines = Lines::default();
        for i in 0..MAX_LINES {
            lines.push(f64::from(u32::try_from(i).unwrap()), format!("console {i}"));
        }
        lines.push(f64::from(u32::try_from(MAX_LINES).unwrap()) + 0.5, "the exception, logged last".to_owned());
        lines
            .push(f64::from(u32::try_from(MAX_LINES).unwrap()), "the console line before it, read after it".to_owned());
        lines.push(-1.0, "a line older than every kept one".to_owned());

        let text = lines.text();
        assert!(text.ends_with("the console line before it, read after it\nthe exception, logged last\n"), "{text}");
        assert!(!text.contains("older than every kept one"));
        assert!(text.starts_with("(3 earlier lines not kept)\nconsole 2\n"), "{}", &text[..60]);
    }
}
