//! The fleet view in metrics: per controller its status, jobs by status, queue length,
//! stuck items and waits, executors and offline agents. Computed from answers the gateway
//! already fetched for its callers (a listing, the queue, the computers), the moment they
//! are parsed: never an extra upstream request. Labels are a connection and a fixed set
//! of statuses: never a job, a queue item or an agent.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use super::names as n;
use crate::jenkins::wire;

/// Labels of what is measured per connection.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ConnectionLabels {
    /// The connection name.
    pub(crate) connection: Arc<str>,
}

/// Statuses a connection can have (the schema's `ConnectionStatus`, plus `UNKNOWN` before
/// the first exchange).
pub(crate) const CONNECTION_STATUSES: [&str; 8] = [
    "UNKNOWN",
    "ONLINE",
    "UNAUTHORIZED",
    "FORBIDDEN",
    "UNREACHABLE",
    "TIMEOUT",
    "UNAVAILABLE",
    "TLS_ERROR",
];

/// Statuses of a job, from its colour (the schema's `JobStatus`).
pub(crate) const JOB_STATUSES: [&str; 7] = [
    "SUCCESS",
    "UNSTABLE",
    "FAILURE",
    "ABORTED",
    "NOT_BUILT",
    "DISABLED",
    "UNKNOWN",
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    connection: Arc<str>,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QuantileLabels {
    connection: Arc<str>,
    quantile: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ViewLabels {
    connection: Arc<str>,
    view: &'static str,
}

type FloatGauge = Gauge<f64, std::sync::atomic::AtomicU64>;

/// The fleet gauges.
#[derive(Default)]
pub(crate) struct FleetMetrics {
    up: Family<ConnectionLabels, Gauge>,
    status: Family<StatusLabels, Gauge>,
    jobs: Family<StatusLabels, Gauge>,
    queue: Family<ConnectionLabels, Gauge>,
    stuck: Family<ConnectionLabels, Gauge>,
    queue_wait: Family<QuantileLabels, FloatGauge>,
    executors: Family<ConnectionLabels, Gauge>,
    busy: Family<ConnectionLabels, Gauge>,
    agents: Family<ConnectionLabels, Gauge>,
    offline: Family<ConnectionLabels, Gauge>,
    updated: Family<ViewLabels, FloatGauge>,
    /// The latest status of each connection, for `/readyz`.
    latest: RwLock<HashMap<Arc<str>, &'static str>>,
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn now_secs() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A job's status from its colour, as the schema tells it.
fn job_status(color: &str) -> &'static str {
    match color.trim_end_matches("_anime") {
        "blue" => "SUCCESS",
        "yellow" => "UNSTABLE",
        "red" => "FAILURE",
        "aborted" => "ABORTED",
        "notbuilt" | "grey" => "NOT_BUILT",
        "disabled" => "DISABLED",
        _ => "UNKNOWN",
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

impl FleetMetrics {
    pub(super) fn register(&self, r: &mut Registry) {
        r.register(
            n::FLEET_UP,
            "1 when the connection's latest exchange was answered.",
            self.up.clone(),
        );
        r.register(
            n::FLEET_STATUS,
            "Status of a connection: 1 for the current one, 0 for the others.",
            self.status.clone(),
        );
        r.register(
            n::FLEET_JOBS,
            "Jobs by status in the connection's latest recursive listing (as deep as it went).",
            self.jobs.clone(),
        );
        r.register(
            n::FLEET_QUEUE,
            "Items in the connection's build queue.",
            self.queue.clone(),
        );
        r.register(
            n::FLEET_STUCK,
            "Queue items Jenkins reports as stuck.",
            self.stuck.clone(),
        );
        r.register(
            n::FLEET_EXECUTORS,
            "Executors of online agents.",
            self.executors.clone(),
        );
        r.register(
            n::FLEET_EXECUTORS_BUSY,
            "Executors running a build.",
            self.busy.clone(),
        );
        r.register(
            n::FLEET_AGENTS,
            "Agents of the connection, the built-in node included.",
            self.agents.clone(),
        );
        r.register(
            n::FLEET_AGENTS_OFFLINE,
            "Agents offline.",
            self.offline.clone(),
        );
        r.register_with_unit(
            n::FLEET_QUEUE_WAIT,
            "How long the items in the queue have waited, by quantile (0.5, 0.95).",
            Unit::Seconds,
            self.queue_wait.clone(),
        );
        r.register_with_unit(
            n::FLEET_UPDATED,
            "When a fleet view (jobs, queue, agents) of a connection was last updated, seconds since the epoch.",
            Unit::Seconds,
            self.updated.clone(),
        );
    }

    fn touched(&self, connection: &Arc<str>, view: &'static str) {
        self.updated
            .get_or_create(&ViewLabels {
                connection: connection.clone(),
                view,
            })
            .set(now_secs());
    }

    /// The latest status of a connection (`UNKNOWN` before its first exchange).
    pub(crate) fn status_of(&self, connection: &str) -> &'static str {
        self.latest
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(connection)
            .copied()
            .unwrap_or("UNKNOWN")
    }

    /// The connection's status after an exchange (one of [`CONNECTION_STATUSES`]).
    pub(crate) fn connection_status(&self, connection: &Arc<str>, status: &'static str) {
        let previous = self
            .latest
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(connection.clone(), status);
        if previous == Some(status) {
            return;
        }
        for s in CONNECTION_STATUSES {
            self.status
                .get_or_create(&StatusLabels {
                    connection: connection.clone(),
                    status: s,
                })
                .set(i64::from(s == status));
        }
        self.up
            .get_or_create(&ConnectionLabels {
                connection: connection.clone(),
            })
            .set(i64::from(status == "ONLINE"));
    }

    /// Jobs by status from a root listing. A listing that holds no colour (it was asked
    /// for names only) says nothing about statuses and leaves the gauges as they were.
    pub(crate) fn jobs(&self, connection: &Arc<str>, root: &wire::Item) {
        fn walk(items: &[Arc<wire::Item>], counts: &mut [usize; JOB_STATUSES.len()]) {
            for item in items {
                if let Some(color) = &item.color {
                    let status = job_status(color);
                    if let Some(i) = JOB_STATUSES.iter().position(|s| *s == status) {
                        counts[i] += 1;
                    }
                }
                if let Some(children) = &item.jobs {
                    walk(children, counts);
                }
            }
        }
        let Some(jobs) = &root.jobs else { return };
        let mut counts = [0usize; JOB_STATUSES.len()];
        walk(jobs, &mut counts);
        if counts.iter().sum::<usize>() == 0 && !jobs.is_empty() {
            return;
        }
        for (status, n) in JOB_STATUSES.iter().zip(counts) {
            self.jobs
                .get_or_create(&StatusLabels {
                    connection: connection.clone(),
                    status,
                })
                .set(count(n));
        }
        self.touched(connection, "jobs");
    }

    /// Queue length, stuck items and waits from a queue answer.
    pub(crate) fn queue(&self, connection: &Arc<str>, queue: &wire::Queue) {
        let items = queue.items.as_deref().unwrap_or_default();
        let c = ConnectionLabels {
            connection: connection.clone(),
        };
        self.queue.get_or_create(&c).set(count(items.len()));
        let stuck = items.iter().filter(|i| i.stuck == Some(true)).count();
        self.stuck.get_or_create(&c).set(count(stuck));
        let now_ms = now_secs() * 1000.0;
        let mut waits: Vec<f64> = items
            .iter()
            .filter_map(|i| i.in_queue_since)
            .map(|since| ((now_ms - since as f64) / 1000.0).max(0.0))
            .collect();
        waits.sort_by(f64::total_cmp);
        for (quantile, p) in [("0.5", 0.5), ("0.95", 0.95)] {
            self.queue_wait
                .get_or_create(&QuantileLabels {
                    connection: connection.clone(),
                    quantile,
                })
                .set(percentile(&waits, p));
        }
        self.touched(connection, "queue");
    }

    /// Executors and agents from a computers answer.
    pub(crate) fn computers(&self, connection: &Arc<str>, set: &wire::ComputerSet) {
        let computers = set.computer.as_deref().unwrap_or_default();
        let online = || computers.iter().filter(|c| c.offline != Some(true));
        let total: i64 = online().filter_map(|c| c.num_executors).sum();
        let busy = online()
            .flat_map(|c| c.executors.iter().flatten())
            .filter(|e| e.idle == Some(false))
            .count();
        let offline = computers.len() - online().count();
        let c = ConnectionLabels {
            connection: connection.clone(),
        };
        self.executors.get_or_create(&c).set(total);
        self.busy.get_or_create(&c).set(count(busy));
        self.agents.get_or_create(&c).set(count(computers.len()));
        self.offline.get_or_create(&c).set(count(offline));
        self.touched(connection, "agents");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&v, 0.5), 5.0);
        assert_eq!(percentile(&v, 0.95), 10.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn colours_map_to_the_schema_statuses() {
        assert_eq!(job_status("red_anime"), "FAILURE");
        assert_eq!(job_status("grey"), "NOT_BUILT");
        assert_eq!(job_status("nobuilt"), "UNKNOWN");
    }
}
