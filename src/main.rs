//! `majordomo`: the command line. Parses arguments, loads config, starts telemetry and
//! hands over to the library.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use majordomo::config::Config;
use majordomo::gateway::GatewayState;
use majordomo::{cli, demo, schema, server, telemetry};

/// One GraphQL endpoint over many Jenkins controllers.
#[derive(Debug, Parser)]
#[command(name = "majordomo", version)]
struct Args {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "MAJORDOMO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL endpoint for the configured connections.
    Serve,
    /// Start simulated controllers and the gateway; no configuration needed.
    Demo {
        /// Address of the gateway.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Seed of the simulated worlds.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Do not open a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Inspect connections.
    Connections {
        #[command(subcommand)]
        command: ConnectionsCommand,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Debug, Subcommand)]
enum ConnectionsCommand {
    /// List configured connections.
    List,
    /// Check each connection (or one) and report ONLINE or the failure with a hint.
    Test {
        /// Only this connection.
        name: Option<String>,
    },
}

fn load(path: Option<PathBuf>) -> anyhow::Result<Config> {
    let path = path.context("no configuration: pass --config FILE (or set MAJORDOMO_CONFIG)")?;
    let mut config = Config::load(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    config.apply_env().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(config)
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let gateway = GatewayState::new(config).map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(%addr, connections = gateway.upstreams().len(), "majordomo serving /graphql");
    println!("Majordomo: GraphiQL at http://{addr}/graphql");
    server::run(listener, gateway, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init_tracing();
    let args = Args::parse();
    let result = match args.command {
        Command::Schema => {
            print!("{}", schema::sdl());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve => match load(args.config) {
            Ok(config) => serve(config).await.map(|_| ExitCode::SUCCESS),
            Err(e) => Err(e),
        },
        Command::Demo {
            listen,
            seed,
            no_browser,
        } => {
            async {
                let demo = demo::start(seed).await?;
                for (name, sim) in &demo.controllers {
                    println!("simulated controller {name} at {}", sim.url());
                }
                let mut config = demo.config.clone();
                config.listen = listen;
                if !no_browser {
                    cli::open_browser(&format!("http://{listen}/graphql"));
                }
                serve(config).await.map(|_| ExitCode::SUCCESS)
            }
            .await
        }
        Command::Connections { command } => match load(args.config) {
            Ok(config) => match command {
                ConnectionsCommand::List => match cli::list_connections(config).await {
                    Ok(table) => {
                        print!("{table}");
                        Ok(ExitCode::SUCCESS)
                    }
                    Err(e) => Err(anyhow::anyhow!(e)),
                },
                ConnectionsCommand::Test { name } => {
                    cli::test_connections(config, name.as_deref()).await
                }
            },
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("majordomo: {e:#}");
            ExitCode::from(2)
        }
    }
}
