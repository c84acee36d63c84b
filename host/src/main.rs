//! The `meetbot` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use meetbot_host::{
    arenas,
    check_plugin::{self, CheckError},
    cli::{Cli, Command},
    config::{self, Config, LogConfig},
    enqueue::{Followed, enqueue},
    job::State,
    logging,
    plugins::Registry,
    status, worker,
};

fn main() -> ExitCode {
    arenas::limit();
    let cli = Cli::parse();
    let config = match config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("meetbot: bad configuration: {error}");
            return ExitCode::from(2);
        }
    };
    match run(cli.command.unwrap_or(Command::Run), config) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("meetbot: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::CheckConfig => {
            print!("{}", config::masked_toml(&config));
            Ok(ExitCode::SUCCESS)
        }
        Command::Plugins => {
            print_plugins(&Registry::load(&config.plugins.dirs));
            Ok(ExitCode::SUCCESS)
        }
        Command::Run => {
            logging::init(&config.log).map_err(|e| anyhow::anyhow!("{e}"))?;
            match runtime(&config)?.block_on(worker::run(config)) {
                Err(error) if error.is_configuration() => {
                    eprintln!("meetbot: {error}");
                    Ok(ExitCode::from(2))
                }
                result => {
                    result?;
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
        Command::Status(args) => {
            let fleet = runtime(&config)?.block_on(status::read(&config))?;
            if args.json {
                println!("{}", serde_json::to_string(&fleet)?);
            } else {
                print!("{}", status::human(&fleet));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::CheckPlugin(args) => {
            let quiet = LogConfig { level: "warn".to_owned(), ..config.log.clone() };
            logging::init(&quiet).map_err(|e| anyhow::anyhow!("{e}"))?;
            match check_plugin::run(&args, config, &mut std::io::stdout()) {
                Ok(code) => Ok(code),
                Err(error @ CheckError::Usage(_)) => {
                    eprintln!("meetbot: check-plugin: {error}");
                    Ok(ExitCode::from(2))
                }
                Err(error) => {
                    eprintln!("meetbot: check-plugin: {error}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Enqueue(args) => {
            let followed = runtime(&config)?.block_on(enqueue(&config, &args))?;
            Ok(match followed {
                Followed::Pushed | Followed::Ended(State::Completed) => ExitCode::SUCCESS,
                Followed::Ended(_) => ExitCode::FAILURE,
            })
        }
    }
}

/// The async runtime, with `worker.runtime_threads` threads.
fn runtime(config: &Config) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.worker.runtime_threads)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn print_plugins(registry: &Registry) {
    for plugin in &registry.plugins {
        println!(
            "loaded   {}  {} {}  providers: {}",
            plugin.path.display(),
            plugin.name,
            plugin.version,
            plugin.providers.join(", ")
        );
    }
    for refusal in &registry.refused {
        println!("refused  {}  {}", refusal.path.display(), refusal.reason);
    }
    for conflict in &registry.conflicts {
        println!(
            "ignored  {}  provider `{}` already served by {}",
            conflict.ignored.display(),
            conflict.provider,
            conflict.kept.display()
        );
    }
    if registry.plugins.is_empty() && registry.refused.is_empty() {
        println!("no plugins found");
    }
}
