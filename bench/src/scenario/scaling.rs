//! How cold latency grows with the number of controllers and of jobs per controller: every
//! combination whose total stays within the large world's size (the simulators share this
//! machine's two cores and memory with the gateway). Worlds are generated flat (team
//! folders of jobs) so the dashboard, which reads two levels, covers every job.

use serde::Serialize;

use crate::config::BenchConfig;
use crate::fleet::{scaling_world, Fleet, RequestCounts};
use crate::load::Latency;
use crate::measure::{self, Chain};
use crate::queries::{self, DASHBOARD};

/// One point of the series, for one query.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingPoint {
    /// Controllers.
    pub controllers: usize,
    /// Jobs per controller.
    pub jobs_per_controller: usize,
    /// `dashboard` or `dashboard without stages`.
    pub query: String,
    /// Upstream requests of one cold query.
    pub upstream: RequestCounts,
    /// Runs whose stages came back.
    pub runs_with_stages: usize,
    /// Cold latency (fresh gateway process per sample).
    pub cold: Latency,
    /// Five queries right after a cold one: the gateway's own cost of the answer.
    pub warm: Latency,
    /// The chain a cold query cannot beat.
    pub chain: Chain,
}

/// The series.
#[derive(Debug, Clone, Serialize)]
pub struct ScalingReport {
    /// Cold samples per point.
    pub samples: usize,
    /// Every point, both queries.
    pub points: Vec<ScalingPoint>,
    /// (controllers, jobs per controller) left out: more jobs in all than the limit.
    pub skipped: Vec<Point>,
    /// The limit on controllers × jobs per controller.
    pub max_total_jobs: usize,
}

/// Controllers and jobs per controller.
type Point = (usize, usize);

/// The points to measure, and those skipped for size.
fn grid(cfg: &BenchConfig) -> (Vec<Point>, Vec<Point>) {
    let mut all = Vec::new();
    for c in &cfg.scaling_controllers {
        for j in &cfg.scaling_jobs {
            all.push((*c, *j));
        }
    }
    all.sort();
    all.dedup();
    all.into_iter()
        .partition(|(c, j)| c * j <= cfg.scaling_max_total_jobs)
}

/// Run the scaling series.
pub async fn run(cfg: &BenchConfig) -> anyhow::Result<ScalingReport> {
    let no_stages = queries::dashboard_without_stages();
    let mut points = Vec::new();
    let (grid, skipped) = grid(cfg);
    for (controllers, jobs) in grid {
        eprintln!("scaling: {controllers} controller(s) × {jobs} jobs");
        let worlds = tokio::task::spawn_blocking(move || {
            (0..controllers)
                .map(|i| (format!("c{i}"), scaling_world(100 + i as u64, jobs)))
                .collect::<Vec<_>>()
        })
        .await?;
        let fleet = Fleet::start(worlds, cfg.latency_ms, None).await?;
        let toml = cfg.with_admission(fleet.gateway_toml(None));
        for (name, query) in [
            ("dashboard without stages", no_stages.as_str()),
            ("dashboard", DASHBOARD),
        ] {
            let cold = measure::cold(cfg, &fleet, &toml, query, cfg.scaling_samples).await?;
            let chain = measure::chain(&fleet, &cold).await?;
            points.push(ScalingPoint {
                controllers,
                jobs_per_controller: fleet.jobs() / controllers.max(1),
                query: name.to_string(),
                upstream: cold.counts,
                runs_with_stages: measure::stage_runs(&cold.response),
                cold: cold.latency,
                warm: cold.warm_after,
                chain,
            });
        }
        fleet.shutdown().await;
    }
    Ok(ScalingReport {
        samples: cfg.scaling_samples,
        points,
        skipped,
        max_total_jobs: cfg.scaling_max_total_jobs,
    })
}
