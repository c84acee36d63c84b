//! `meetbot check-plugin FILE`: what an operator deciding to install a plugin, and an author
//! building one, need to know about one library, without starting a worker.
//!
//! The library goes through the worker's own loading ([`Registry::load_file`]: the permission
//! checks of plugin folders, abi_stable's ABI version and type layout checks, the manifest and
//! meeting hosts), so a library this command accepts is one `meetbot run` loads. Then the
//! plugin's URL rules run on sample links through the same call the worker makes for every job
//! ([`LoadedPlugin::normalize_url`], the host's URL policy included), and with `--scenario` one
//! real session runs through the worker's dispatch and runner ([`scenario`]).
//!
//! Exit codes: 0 when everything checked is fine, 1 when the library is refused, the plugin
//! returns a URL the host refuses (a bug in its URL rules), or the scenario's job does not end
//! `completed`, 2 for a usage error.

mod args;
mod scenario;

use std::{io::Write, process::ExitCode};

pub use args::CheckPluginArgs;

use crate::{
    config::Config,
    plugins::{LoadedPlugin, Registry, UrlError, host_api_version},
};

/// Why the check could not be made as asked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The command line asks for something the plugin cannot do (exit 2).
    #[error("{0}")]
    Usage(String),
    /// The scenario could not be set up (exit 1).
    #[error("{0}")]
    Setup(String),
}

/// Runs `meetbot check-plugin`, printing its findings to `out`; the process's exit code.
pub fn run(args: &CheckPluginArgs, config: Config, out: &mut impl Write) -> Result<ExitCode, CheckError> {
    let registry = Registry::load_file(&args.file);
    let Some(plugin) = registry.plugins.first().cloned() else {
        for refusal in &registry.refused {
            let _ = writeln!(out, "refused  {}  {}", refusal.path.display(), refusal.reason);
        }
        return Ok(ExitCode::FAILURE);
    };
    describe(&plugin, out);
    let urls_ok = check_urls(&plugin, &args.urls, out);
    let mut code = if urls_ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    if let Some(url) = &args.scenario {
        let provider = match &args.provider {
            Some(provider) if plugin.providers.contains(provider) => provider.clone(),
            Some(provider) => {
                return Err(CheckError::Usage(format!(
                    "--provider `{provider}` is not one of the plugin's providers ({})",
                    plugin.providers.join(", ")
                )));
            }
            None => plugin.providers[0].clone(),
        };
        let scenario = scenario::Scenario { url: url.clone(), provider, name: args.name.clone(), record: args.record };
        if !scenario::run(registry, scenario, config, out)? {
            code = ExitCode::FAILURE;
        }
    }
    Ok(code)
}

/// The library's identity: ABI, manifest, providers, meeting hosts.
fn describe(plugin: &LoadedPlugin, out: &mut impl Write) {
    let _ = writeln!(out, "file       {}", plugin.path.display());
    let _ = writeln!(
        out,
        "abi        plugin-api {}, compatible with this host's {} (version and type layouts checked)",
        plugin.api_version,
        host_api_version()
    );
    let _ = writeln!(out, "plugin     {} {}", plugin.name, plugin.version);
    let _ = writeln!(out, "providers  {}", plugin.providers.join(", "));
    let browser = if plugin.needs_browser { "needed (the host launches Chromium for each job)" } else { "not needed" };
    let _ = writeln!(out, "browser    {browser}");
    let _ = writeln!(out, "hosts      {}", plugin.meeting_hosts);
}

/// Runs the plugin's URL rules on one sample link per declared meeting host, then on `urls`, for
/// every provider: one line each. False when the plugin returned a URL the host refuses.
fn check_urls(plugin: &LoadedPlugin, urls: &[String], out: &mut impl Write) -> bool {
    let mut ok = true;
    for url in plugin.meeting_hosts.samples().iter().chain(urls) {
        for provider in &plugin.providers {
            let line = match plugin.normalize_url(provider, url) {
                Ok(normalized) => format!("ok       {normalized}"),
                Err(UrlError::Refused(why)) => format!("refused  {why}"),
                Err(error @ UrlError::Policy { .. }) => {
                    ok = false;
                    format!("BUG      {error}")
                }
            };
            let _ = writeln!(out, "url        {provider}  {url}  {line}");
        }
    }
    ok
}
