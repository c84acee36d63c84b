//! The process-wide `tracing` subscriber, set up once from `[log]` (docs/REFERENCE.md section 1).
//!
//! Logs go to stderr so that stdout stays clean for what commands print (`check-config`'s TOML,
//! `plugins`' list) and can be piped. `RUST_LOG`, when set, wins over `log.level`: it is what a
//! developer reaches for while debugging, without editing the deployed config.
//!
//! The JSON format writes one object per line with the event's fields at the top level and the
//! current span's fields under `"span"`. Job code opens one span per job carrying `job_id` and
//! `correlation_id`, so every line logged inside it carries them without each call repeating
//! them; only the innermost span is written (no span list) to keep lines short and the fields at
//! a fixed place for log shippers to index.

use std::io::IsTerminal as _;

use tracing::Subscriber;
use tracing_subscriber::{EnvFilter, fmt::MakeWriter, util::SubscriberInitExt as _};

use crate::config::{LogConfig, LogFormat};

/// The variable that overrides `log.level`.
const RUST_LOG: &str = "RUST_LOG";

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    /// `RUST_LOG` or `log.level` is not a valid filter.
    #[error("{source_name} = {directives:?} is not a valid tracing filter: {error}")]
    BadFilter {
        /// `RUST_LOG` or `log.level`.
        source_name: &'static str,
        /// The directives given.
        directives: String,
        /// The parser's complaint.
        error: tracing_subscriber::filter::ParseError,
    },
    /// A global subscriber was installed already (init called twice, or by a test harness).
    #[error("cannot install the logger: {0}")]
    Install(#[source] tracing_subscriber::util::TryInitError),
}

/// Installs the global subscriber: filter from `RUST_LOG` or `config.level`, text or JSON lines
/// on stderr per `config.format`. Call once, early in `main`.
pub fn init(config: &LogConfig) -> Result<(), LoggingError> {
    let rust_log = std::env::var(RUST_LOG).ok();
    let filter = filter(config, rust_log.as_deref())?;
    let ansi = std::io::stderr().is_terminal();
    subscriber(config.format, filter, std::io::stderr, ansi).try_init().map_err(LoggingError::Install)
}

/// The filter: `rust_log` when set and non-empty, else `config.level`.
fn filter(config: &LogConfig, rust_log: Option<&str>) -> Result<EnvFilter, LoggingError> {
    let (source_name, directives) = match rust_log.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => (RUST_LOG, value),
        None => ("log.level", config.level.as_str()),
    };
    let filter = EnvFilter::builder().parse(directives).map_err(|error| LoggingError::BadFilter {
        source_name,
        directives: directives.to_owned(),
        error,
    })?;
    if directives.contains("chromiumoxide") {
        return Ok(filter);
    }
    // chromiumoxide warns about every CDP event it has no type for (Chromium 156 sends many);
    // its warnings are noise unless asked for by name.
    Ok(filter.add_directive(QUIET_CDP.parse().expect("a valid directive")))
}

/// The default level of the CDP client's own logging.
const QUIET_CDP: &str = "chromiumoxide=error";

/// The subscriber for `format`, writing to `writer`; separate from [`init`] so tests can capture
/// the output without installing anything globally.
fn subscriber<W>(format: LogFormat, filter: EnvFilter, writer: W, ansi: bool) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Text => Box::new(builder.with_ansi(ansi).finish()),
        LogFormat::Json => {
            Box::new(builder.json().flatten_event(true).with_current_span(true).with_span_list(false).finish())
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Capture {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("capture lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'w> MakeWriter<'w> for Capture {
        type Writer = Capture;
        fn make_writer(&'w self) -> Self::Writer {
            self.clone()
        }
    }

    impl Capture {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("capture lock").clone()).expect("utf-8 logs")
        }
    }

    fn log_one_job_line(format: LogFormat) -> String {
        let capture = Capture::default();
        let config = LogConfig { level: "info".to_owned(), format };
        let subscriber = subscriber(format, filter(&config, None).expect("filter"), capture.clone(), false);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("job", job_id = "job-1", correlation_id = "corr-9");
            let _entered = span.enter();
            tracing::info!(state = "joining", "state changed");
            tracing::debug!("filtered out");
        });
        capture.text()
    }

    #[test]
    fn json_lines_carry_the_span_fields() {
        let out = log_one_job_line(LogFormat::Json);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 1, "{out}");
        let line: serde_json::Value = serde_json::from_str(lines[0]).expect("one JSON object per line");
        assert_eq!(line["message"], "state changed");
        assert_eq!(line["state"], "joining");
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["span"]["job_id"], "job-1");
        assert_eq!(line["span"]["correlation_id"], "corr-9");
        assert!(line.get("spans").is_none(), "{line}");
    }

    #[test]
    fn text_lines_carry_the_span_fields() {
        let out = log_one_job_line(LogFormat::Text);
        assert!(out.contains("job_id") && out.contains("job-1") && out.contains("corr-9"), "{out}");
        assert!(out.contains("state changed") && !out.contains("filtered out"), "{out}");
        assert!(!out.contains('\u{1b}'), "no colours when asked not to: {out:?}");
    }

    #[test]
    fn rust_log_overrides_the_config() {
        let config = LogConfig { level: "info".to_owned(), format: LogFormat::Text };
        let effective = |rust_log| filter(&config, rust_log).expect("valid").to_string();
        assert_eq!(effective(Some("debug")), format!("{QUIET_CDP},debug"));
        assert_eq!(effective(Some("  ")), format!("{QUIET_CDP},info"));
        assert_eq!(effective(None), format!("{QUIET_CDP},info"));
        assert_eq!(effective(Some("info,chromiumoxide=debug")), "chromiumoxide=debug,info", "named: left alone");
        let err = filter(&config, Some("info,[")).expect_err("invalid RUST_LOG");
        assert!(err.to_string().starts_with("RUST_LOG = "), "{err}");
    }
}
