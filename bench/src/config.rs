//! [`BenchConfig`]: how long and how hard the benchmark runs. The environment is read here
//! and nowhere else.

use std::path::PathBuf;
use std::time::Duration;

/// Knobs of one benchmark run; defaults are the full run, `BENCH_QUICK=1` a short one.
#[derive(Debug, Clone)]
pub struct BenchConfig {
    /// Latency every simulated controller adds to each request (`BENCH_LATENCY_MS`, 20).
    pub latency_ms: u64,
    /// Cold samples per query, each on a fresh gateway process (`BENCH_COLD_SAMPLES`).
    pub cold_samples: usize,
    /// Naive-client samples per query (`BENCH_NAIVE_SAMPLES`).
    pub naive_samples: usize,
    /// Sequential warm requests for the unloaded warm latency (`BENCH_WARM_REQUESTS`).
    pub warm_requests: usize,
    /// Length of each saturation and fixed-rate run (`BENCH_LOAD_SECS`).
    pub load_secs: u64,
    /// Connections `wrk` keeps open at saturation (`BENCH_CONNECTIONS`, 32).
    pub connections: usize,
    /// The fixed request rate of the point query (`BENCH_FIXED_RPS`, 500).
    pub fixed_rps: u64,
    /// Controllers serving the large world (`BENCH_LARGE_CONTROLLERS`, 1).
    pub large_controllers: usize,
    /// Cold samples per point of the scaling series (`BENCH_SCALING_SAMPLES`).
    pub scaling_samples: usize,
    /// Jobs per controller of the scaling series (`BENCH_SCALING_JOBS`, "100,1000,10000").
    pub scaling_jobs: Vec<usize>,
    /// Controllers of the scaling series (`BENCH_SCALING_CONTROLLERS`, "1,5,20").
    pub scaling_controllers: Vec<usize>,
    /// Dashboard users of the steady state (`BENCH_STEADY_USERS`, 50).
    pub steady_users: usize,
    /// How often each steady-state user refreshes, ms (`BENCH_STEADY_PERIOD_MS`, 2000;
    /// stands for the real 10 s, with the cache lifetimes scaled alike).
    pub steady_period_ms: u64,
    /// Scaling points with more jobs than this over all controllers are skipped
    /// (`BENCH_SCALING_MAX_TOTAL_JOBS`, 20000: the large world's size).
    pub scaling_max_total_jobs: usize,
    /// Length of each steady-state phase, after its warm-up (`BENCH_STEADY_SECS`).
    pub steady_secs: u64,
    /// Rounds of the telemetry-cost scenario, each running export off and on
    /// (`BENCH_TELEMETRY_ROUNDS`, 3).
    pub telemetry_rounds: usize,
    /// Rounds of the memory scenario, each running this build and the baseline
    /// (`BENCH_MEMORY_ROUNDS`, 2).
    pub memory_rounds: usize,
    /// Seconds the memory scenario leaves the gateway idle after its load
    /// (`BENCH_MEMORY_IDLE_SECS`, 60).
    pub memory_idle_secs: u64,
    /// Another gateway binary the memory scenario runs side by side with this one, e.g. a
    /// build of the commit before a change (`BENCH_BASELINE_BIN`; none by default).
    pub baseline_bin: Option<PathBuf>,
    /// Subscribers of the live scenario's crowded phase (`BENCH_LIVE_SUBSCRIBERS`).
    pub live_subscribers: usize,
    /// Length of the soak-and-fault scenario, s (`BENCH_SOAK_SECS`).
    pub soak_secs: u64,
    /// Scenarios to run (`BENCH_ONLY`, comma-separated:
    /// demo,large,scaling,steady,live,soak,telemetry,replicas,memory).
    pub only: Vec<String>,
    /// The gateway's `max_concurrent_queries` (`BENCH_MAX_QUERIES`, 0: no limit, its default).
    pub max_queries: usize,
    /// The gateway binary (`MAJORDOMO_BIN`; default: `majordomo` next to this binary).
    pub gateway_bin: PathBuf,
    /// The `wrk` binary (`BENCH_WRK`, default `wrk` on the PATH).
    pub wrk: String,
    /// Where the machine-readable results go (`BENCH_OUT`, `bench/results/latest.json`).
    pub out: PathBuf,
    /// Whether this is the short run.
    pub quick: bool,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn env_list(name: &str, default: &[usize]) -> Vec<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .split(',')
            .filter_map(|s| s.trim().replace('_', "").parse().ok())
            .collect(),
        Err(_) => default.to_vec(),
    }
}

impl BenchConfig {
    /// The configuration from the environment.
    pub fn from_env() -> BenchConfig {
        let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        let pick = |full: u64, short: u64| if quick { short } else { full };
        let gateway_bin = std::env::var_os("MAJORDOMO_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.parent().map(|d| d.join("majordomo")))
                    .unwrap_or_else(|| PathBuf::from("target/release/majordomo"))
            });
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        BenchConfig {
            latency_ms: env_or("BENCH_LATENCY_MS", 20),
            cold_samples: env_or("BENCH_COLD_SAMPLES", pick(15, 4) as usize),
            naive_samples: env_or("BENCH_NAIVE_SAMPLES", pick(3, 2) as usize),
            warm_requests: env_or("BENCH_WARM_REQUESTS", pick(300, 60) as usize),
            load_secs: env_or("BENCH_LOAD_SECS", pick(10, 3)),
            connections: env_or("BENCH_CONNECTIONS", 32),
            fixed_rps: env_or("BENCH_FIXED_RPS", 500),
            large_controllers: env_or("BENCH_LARGE_CONTROLLERS", 1usize).max(1),
            scaling_samples: env_or("BENCH_SCALING_SAMPLES", pick(3, 1) as usize),
            scaling_jobs: env_list(
                "BENCH_SCALING_JOBS",
                if quick {
                    &[100, 1000]
                } else {
                    &[100, 1000, 10000]
                },
            ),
            scaling_controllers: env_list(
                "BENCH_SCALING_CONTROLLERS",
                if quick { &[1, 5] } else { &[1, 5, 20] },
            ),
            scaling_max_total_jobs: env_or("BENCH_SCALING_MAX_TOTAL_JOBS", 20_000usize),
            steady_users: env_or("BENCH_STEADY_USERS", 50usize).max(1),
            steady_period_ms: env_or("BENCH_STEADY_PERIOD_MS", 2000u64).max(100),
            steady_secs: env_or("BENCH_STEADY_SECS", pick(20, 8)),
            memory_rounds: env_or("BENCH_MEMORY_ROUNDS", pick(2, 1) as usize).max(1),
            memory_idle_secs: env_or("BENCH_MEMORY_IDLE_SECS", pick(60, 20)),
            baseline_bin: std::env::var_os("BENCH_BASELINE_BIN").map(PathBuf::from),
            live_subscribers: env_or("BENCH_LIVE_SUBSCRIBERS", 1000usize).max(1),
            soak_secs: env_or("BENCH_SOAK_SECS", pick(300, 30)),
            max_queries: env_or("BENCH_MAX_QUERIES", 0),
            telemetry_rounds: env_or("BENCH_TELEMETRY_ROUNDS", pick(3, 2) as usize).max(1),
            only: std::env::var("BENCH_ONLY")
                .map(|v| v.split(',').map(|s| s.trim().to_string()).collect())
                .unwrap_or_else(|_| {
                    [
                        "demo",
                        "large",
                        "scaling",
                        "steady",
                        "live",
                        "soak",
                        "telemetry",
                        "replicas",
                        "memory",
                    ]
                    .map(String::from)
                    .to_vec()
                }),
            gateway_bin,
            wrk: std::env::var("BENCH_WRK").unwrap_or_else(|_| "wrk".into()),
            out: std::env::var_os("BENCH_OUT")
                .map(PathBuf::from)
                .unwrap_or_else(|| root.join("results/latest.json")),
            quick,
        }
    }

    /// Whether a scenario is selected.
    pub fn runs(&self, scenario: &str) -> bool {
        self.only.iter().any(|s| s == scenario)
    }

    /// Length of a saturation or fixed-rate run.
    pub fn load_duration(&self) -> Duration {
        Duration::from_secs(self.load_secs)
    }
}

impl BenchConfig {
    /// A gateway configuration with this run's query admission limit, if any.
    pub fn with_admission(&self, toml: String) -> String {
        if self.max_queries == 0 {
            toml
        } else {
            format!("max_concurrent_queries = {}\n{toml}", self.max_queries)
        }
    }
}
