//! `jenkins-sim`: serve a simulated Jenkins controller.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use jenkins_sim::server::Container;
use jenkins_sim::world::generate::GenSpec;
use jenkins_sim::{Faults, LiveConfig, SimBuilder, World};

/// A faithful Jenkins REST API simulator.
#[derive(Debug, Parser)]
#[command(name = "jenkins-sim", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: SocketAddr,
    /// World to serve: `demo`, `large`, `recorded`, or the path of a world file.
    #[arg(long, default_value = "demo")]
    world: String,
    /// Seed for generated worlds, logs and faults.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Give a user an API token, as USER=TOKEN (repeatable).
    #[arg(long = "token", value_name = "USER=TOKEN")]
    tokens: Vec<String>,
    /// Make the world move: builds are queued, run and finish.
    #[arg(long)]
    live: bool,
    /// Mean seconds between new builds in live mode.
    #[arg(long, default_value_t = 2.0)]
    live_trigger_secs: f64,
    /// Seconds a build runs in live mode.
    #[arg(long, default_value_t = 20.0)]
    live_build_secs: f64,
    /// Fixed latency added to every response, ms.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Random extra latency, ms.
    #[arg(long, default_value_t = 0)]
    jitter_ms: u64,
    /// Fraction of requests answered with an error status (500, 502, 503).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Answer 503 for this many ms after start, as a starting Jenkins does.
    #[arg(long, default_value_t = 0)]
    startup_ms: u64,
    /// Never answer.
    #[arg(long)]
    hang: bool,
    /// Reset connections instead of answering.
    #[arg(long)]
    reset: bool,
    /// Send bodies at this many bytes per second.
    #[arg(long)]
    slow_body_bps: Option<u64>,
    /// Cut JSON bodies in half.
    #[arg(long)]
    truncate_json: bool,
    /// Answer JSON requests with a non-JSON body.
    #[arg(long)]
    invalid_json: bool,
    /// Reject every credential with 401.
    #[arg(long)]
    reject_credentials: bool,
    /// Serve without the Pipeline REST API plugin.
    #[arg(long)]
    no_wfapi: bool,
    /// Largest request head (request line and headers), bytes, like Jetty's
    /// `--requestHeaderSize`; 0 for no limit.
    #[arg(long, default_value_t = jenkins_sim::server::DEFAULT_HEAD_BYTES)]
    request_header_size: usize,
    /// Who answers an over-long head: `jetty` (414 or 431) or `tomcat` (400).
    #[arg(long, default_value = "jetty", value_parser = ["jetty", "tomcat"])]
    container: String,
}

fn world(name: &str, seed: u64) -> anyhow::Result<World> {
    Ok(match name {
        "demo" => World::demo(seed, 0),
        "large" => World::large(seed),
        "recorded" => World::recorded(),
        path => World::load(&PathBuf::from(path))?,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let _ = GenSpec::default();
    let mut builder = SimBuilder::new(world(&args.world, args.seed)?)
        .listen(args.listen)
        .seed(args.seed)
        .faults(Faults {
            latency_ms: args.latency_ms,
            jitter_ms: args.jitter_ms,
            error_rate: args.error_rate,
            startup_ms: args.startup_ms,
            hang: args.hang,
            reset: args.reset,
            slow_body_bps: args.slow_body_bps,
            truncate_json: args.truncate_json,
            invalid_json: args.invalid_json,
            reject_credentials: args.reject_credentials,
            ..Faults::default()
        });
    for t in &args.tokens {
        let (user, token) = t
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--token wants USER=TOKEN, got {t:?}"))?;
        builder = builder.token(user, token);
    }
    if args.no_wfapi {
        builder = builder.without_wfapi();
    }
    builder = match args.request_header_size {
        0 => builder.no_request_header_limit(),
        n => builder.request_header_size(n),
    };
    if args.container == "tomcat" {
        builder = builder.container(Container::Tomcat);
    }
    if args.live {
        builder = builder.live(LiveConfig {
            trigger_every: Duration::from_secs_f64(args.live_trigger_secs),
            build_duration: Duration::from_secs_f64(args.live_build_secs),
            ..LiveConfig::default()
        });
    }
    let sim = builder.start().await?;
    println!(
        "jenkins-sim serving world '{}' at {}",
        args.world,
        sim.url()
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
