//! `majordomo`: the command line. Parses arguments, starts telemetry and hands over to
//! the library; errors stay typed until they are printed here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use majordomo::cli::{self, CliError, Output};
use majordomo::config::{Config, TelemetryConfig};
use majordomo::{demo, schema, telemetry};

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
    /// Serve the MCP tools on stdin/stdout, for a desktop AI assistant (logs go to stderr).
    Mcp {
        /// An API key of `[auth.keys]` whose scope and limits the process gets; without
        /// one it sees every configured connection. Prefer the environment variable.
        #[arg(long, env = "MAJORDOMO_MCP_KEY", hide_env_values = true)]
        key: Option<String>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Check a running gateway: GET /healthz; exit 0 only on `200 ok`, 1 otherwise.
    Health {
        /// The gateway's base URL (default: the configured `listen`, on loopback when it
        /// listens on every address; without a config, http://127.0.0.1:8080).
        #[arg(long)]
        url: Option<String>,
        /// Give up after this many milliseconds.
        #[arg(long, default_value_t = 2000)]
        timeout_ms: u64,
    },
}

#[derive(Debug, Subcommand)]
enum ConnectionsCommand {
    /// List configured connections with their status (exit code 1 when any is down).
    List {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        output: Output,
    },
    /// Check each connection (or one) and report ONLINE or the failure with a hint.
    Test {
        /// Only this connection.
        name: Option<String>,
    },
}

/// Load the configuration (its warnings on plain lines), then set up telemetry from it.
fn load(path: Option<&std::path::Path>) -> Result<(Config, telemetry::TelemetryGuard), CliError> {
    let config = telemetry::while_loading(|| cli::load(path))?;
    let guard = telemetry::init(&config.telemetry)?;
    Ok((config, guard))
}

/// Serve `config` until a signal, then flush the spans still buffered.
async fn serve(config: Config, guard: telemetry::TelemetryGuard) -> Result<(), CliError> {
    let served = cli::serve(config, cli::shutdown_signal()).await;
    cli::stop_telemetry(guard).await;
    served
}

async fn run(args: Args) -> Result<ExitCode, CliError> {
    let config = args.config.as_deref();
    match args.command {
        Command::Schema => {
            print!("{}", schema::sdl());
        }
        Command::Serve => {
            let (config, guard) = load(config)?;
            serve(config, guard).await?;
        }
        Command::Mcp { key } => {
            let (config, guard) = load(config)?;
            let served = cli::mcp(config, key.as_deref()).await;
            cli::stop_telemetry(guard).await;
            served?;
        }
        Command::Demo {
            listen,
            seed,
            no_browser,
        } => {
            let demo = demo::start(seed).await?;
            let mut config = demo.config.clone();
            telemetry::while_loading(|| config.apply_env())?;
            config.listen = listen;
            let guard = telemetry::init(&config.telemetry)?;
            for (name, sim) in &demo.controllers {
                println!("simulated controller {name} at {}", sim.url());
            }
            if !no_browser {
                cli::open_browser(&format!("http://{listen}/"));
            }
            serve(config, guard).await?;
        }
        Command::Health { url, timeout_ms } => {
            let _guard = telemetry::init(&TelemetryConfig::default())?;
            let url = cli::health_url(url.as_deref(), config)?;
            return Ok(cli::health(&url, Duration::from_millis(timeout_ms)).await);
        }
        Command::Connections { command } => {
            let (config, _guard) = load(config)?;
            return match command {
                ConnectionsCommand::List { output } => cli::list_connections(config, output).await,
                ConnectionsCommand::Test { name } => {
                    cli::test_connections(config, name.as_deref()).await
                }
            };
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// jemalloc instead of the system allocator. glibc's kept what concurrent large answers
/// allocated (per-thread arenas, rarely trimmed; 530 MiB after `wrk -c32` on the large
/// dashboard, still held when idle) and was twice as slow on a warm dashboard's many
/// small allocations; mimalloc was as fast but kept the memory of idle threads too.
/// jemalloc's background thread hands freed pages back within a second or two
/// ([`MALLOC_CONF`]), whatever the request threads do. BENCHMARKS.md "Memory" has the
/// figures.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options, read once at start: a background thread purges dirty pages after
/// a second unused, and returns them at once rather than keeping them lazily freed.
#[allow(non_upper_case_globals)]
#[export_name = "_rjem_malloc_conf"]
pub static MALLOC_CONF: &[u8] = b"background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0\0";

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("majordomo: {e}");
            ExitCode::from(2)
        }
    }
}
