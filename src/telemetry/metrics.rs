//! [`Metrics`]: the gateway's Prometheus registry (`prometheus-client`), one per
//! [`crate::gateway::GatewayState`], and the families each layer records into: GraphQL
//! requests, upstream requests, the cache, the fleet ([`super::fleet`]) and the process.
//!
//! One registry per gateway rather than a global recorder: two gateways in one process
//! (the tests) never mix their counts, and nothing is recorded before a gateway exists.
//! Labels are bounded by construction: connections come from the config, endpoints,
//! classes, outcomes and statuses are fixed sets, operation names are capped
//! ([`OperationNames`]), and no label ever carries a job name, a URL or a token.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use super::fleet::{ConnectionLabels, FleetMetrics};
use super::names as n;

/// The content type of [`Metrics::render`]'s output.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Request durations, seconds: from a cached answer (sub-millisecond) to a deadline.
const DURATION_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];
/// The gateway's own share of a request, seconds.
const OVERHEAD_BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Answer sizes, bytes: 256 B to 64 MiB by fours.
const SIZE_BUCKETS: [f64; 10] = [
    256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0, 67108864.0,
];
/// Upstream requests per GraphQL request.
const COUNT_BUCKETS: [f64; 10] = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0, 1000.0];

/// Labels of a GraphQL request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    /// The operation name, bounded (see [`OperationNames`]).
    pub(crate) operation: Arc<str>,
    /// `query`, `mutation`, `subscription` or `unknown`.
    pub(crate) operation_type: &'static str,
    /// `ok`, `partial` (data and errors) or `error` (no data).
    pub(crate) outcome: &'static str,
    /// The first error's `extensions.code`, or `NONE`.
    pub(crate) code: Arc<str>,
}

/// Labels of a GraphQL duration.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct DurationLabels {
    /// The operation name, bounded.
    pub(crate) operation: Arc<str>,
    /// `ok`, `partial` or `error`.
    pub(crate) outcome: &'static str,
}

/// Labels of what is measured per operation alone.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct OperationLabels {
    /// The operation name, bounded.
    pub(crate) operation: Arc<str>,
}

/// Labels of one GraphQL error.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ErrorLabels {
    /// The operation name, bounded.
    pub(crate) operation: Arc<str>,
    /// The error's `extensions.code`.
    pub(crate) code: Arc<str>,
}

/// Labels of an upstream request.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct UpstreamLabels {
    /// The connection name.
    pub(crate) connection: Arc<str>,
    /// The kind of endpoint (`listing`, `build`, `describe`, …).
    pub(crate) endpoint: &'static str,
    /// `2xx` … `5xx`, or `timeout` / `error` when no answer came.
    pub(crate) status_class: &'static str,
}

/// Labels of what is counted per connection and endpoint.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct EndpointLabels {
    /// The connection name.
    pub(crate) connection: Arc<str>,
    /// The kind of endpoint.
    pub(crate) endpoint: &'static str,
}

/// Labels of a connection's state (one series per possible state).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct StateLabels {
    /// The connection name.
    pub(crate) connection: Arc<str>,
    /// One of the fixed states.
    pub(crate) state: &'static str,
}

/// Labels of a cache class.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ClassLabels {
    /// `immutable`, `listing` or `volatile`.
    pub(crate) class: &'static str,
}

/// Labels of a cache eviction.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct EvictionLabels {
    /// The class of the entry.
    pub(crate) class: &'static str,
    /// `size` or `expired`.
    pub(crate) cause: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: &'static str,
}

/// Builds the histograms of a family with fixed buckets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Buckets(&'static [f64]);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

type HistogramFamily<L> = Family<L, Histogram, Buckets>;

fn family<L>(buckets: &'static [f64]) -> HistogramFamily<L>
where
    L: Clone + std::hash::Hash + Eq,
{
    Family::new_with_constructor(Buckets(buckets))
}

/// What GraphQL requests are measured by.
pub(crate) struct GraphqlMetrics {
    requests: Family<RequestLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    duration: HistogramFamily<DurationLabels>,
    upstream_wait: HistogramFamily<OperationLabels>,
    overhead: HistogramFamily<OperationLabels>,
    response_size: HistogramFamily<OperationLabels>,
    upstream_requests: HistogramFamily<OperationLabels>,
    /// The bound on operation labels.
    pub(crate) operations: OperationNames,
    /// The code label of an answer without errors.
    no_code: Arc<str>,
}

/// One answered GraphQL request, as metrics see it.
#[derive(Debug)]
pub(crate) struct RequestRecord<'a> {
    /// The bounded operation label.
    pub(crate) operation: Arc<str>,
    /// `query`, `mutation`, `subscription` or `unknown`.
    pub(crate) operation_type: &'static str,
    /// `ok`, `partial` or `error`.
    pub(crate) outcome: &'static str,
    /// The codes of its errors, in order.
    pub(crate) codes: &'a [Arc<str>],
    /// How long it took.
    pub(crate) duration: Duration,
    /// How much of it was spent waiting on Jenkins.
    pub(crate) upstream_wait: Duration,
    /// Upstream requests it sent.
    pub(crate) upstream_requests: u64,
    /// Bytes of the JSON answer.
    pub(crate) response_bytes: usize,
}

impl GraphqlMetrics {
    /// Count one answered request.
    pub(crate) fn record(&self, r: &RequestRecord<'_>) {
        let code = r.codes.first().unwrap_or(&self.no_code).clone();
        self.requests
            .get_or_create(&RequestLabels {
                operation: r.operation.clone(),
                operation_type: r.operation_type,
                outcome: r.outcome,
                code,
            })
            .inc();
        for code in r.codes {
            self.errors
                .get_or_create(&ErrorLabels {
                    operation: r.operation.clone(),
                    code: code.clone(),
                })
                .inc();
        }
        let secs = r.duration.as_secs_f64();
        let wait = r.upstream_wait.as_secs_f64().min(secs);
        self.duration
            .get_or_create(&DurationLabels {
                operation: r.operation.clone(),
                outcome: r.outcome,
            })
            .observe(secs);
        let op = OperationLabels {
            operation: r.operation.clone(),
        };
        self.upstream_wait.get_or_create(&op).observe(wait);
        self.overhead.get_or_create(&op).observe(secs - wait);
        self.response_size
            .get_or_create(&op)
            .observe(r.response_bytes as f64);
        self.upstream_requests
            .get_or_create(&op)
            .observe(r.upstream_requests as f64);
    }
}

/// The operation names that get a label of their own: the first `max` distinct names seen;
/// later ones are `__other`.
pub(crate) struct OperationNames {
    max: usize,
    seen: RwLock<HashSet<Arc<str>>>,
    anonymous: Arc<str>,
    other: Arc<str>,
    unknown: Arc<str>,
}

impl OperationNames {
    fn new(max: usize) -> Self {
        OperationNames {
            max,
            seen: RwLock::new(HashSet::new()),
            anonymous: Arc::from(n::OP_ANONYMOUS),
            other: Arc::from(n::OP_OTHER),
            unknown: Arc::from(n::OP_UNKNOWN),
        }
    }

    /// The label of requests whose operation could not be told.
    pub(crate) fn unknown(&self) -> Arc<str> {
        self.unknown.clone()
    }

    /// The label of an operation named `name` (`None`: anonymous).
    pub(crate) fn label(&self, name: Option<&str>) -> Arc<str> {
        let Some(name) = name else {
            return self.anonymous.clone();
        };
        if let Some(known) = self
            .seen
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return known.clone();
        }
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        if let Some(known) = seen.get(name) {
            return known.clone();
        }
        if seen.len() >= self.max {
            return self.other.clone();
        }
        let label: Arc<str> = Arc::from(name);
        seen.insert(label.clone());
        label
    }
}

/// What requests to Jenkins are measured by.
pub(crate) struct UpstreamMetrics {
    requests: Family<UpstreamLabels, Counter>,
    duration: HistogramFamily<EndpointLabels>,
    received: Family<EndpointLabels, Counter>,
    retries: Family<ConnectionLabels, Counter>,
    circuit: Family<StateLabels, Gauge>,
    in_flight: Family<ConnectionLabels, Gauge>,
    limit: Family<ConnectionLabels, Gauge>,
}

/// The states a circuit breaker reports.
pub(crate) const CIRCUIT_STATES: [&str; 3] = ["closed", "open", "half_open"];

impl UpstreamMetrics {
    /// One exchange: its status class (`2xx`… or `timeout`/`error`) and time to the head.
    pub(crate) fn exchange(
        &self,
        connection: &Arc<str>,
        endpoint: &'static str,
        status_class: &'static str,
        elapsed: Duration,
    ) {
        self.requests
            .get_or_create(&UpstreamLabels {
                connection: connection.clone(),
                endpoint,
                status_class,
            })
            .inc();
        self.duration
            .get_or_create(&EndpointLabels {
                connection: connection.clone(),
                endpoint,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Body bytes received.
    pub(crate) fn received(&self, connection: &Arc<str>, endpoint: &'static str, bytes: u64) {
        self.received
            .get_or_create(&EndpointLabels {
                connection: connection.clone(),
                endpoint,
            })
            .inc_by(bytes);
    }

    /// A request sent again.
    pub(crate) fn retry(&self, connection: &Arc<str>) {
        self.retries
            .get_or_create(&ConnectionLabels {
                connection: connection.clone(),
            })
            .inc();
    }

    /// A connection's series that would otherwise appear only with their first event,
    /// at zero.
    pub(crate) fn connection_added(&self, connection: &Arc<str>) {
        let _ = self.retries.get_or_create(&ConnectionLabels {
            connection: connection.clone(),
        });
    }

    /// A connection's state now: its breaker and its slots.
    pub(crate) fn connection_state(
        &self,
        connection: &Arc<str>,
        circuit: &'static str,
        in_flight: usize,
        limit: usize,
    ) {
        for state in CIRCUIT_STATES {
            self.circuit
                .get_or_create(&StateLabels {
                    connection: connection.clone(),
                    state,
                })
                .set(i64::from(state == circuit));
        }
        let c = ConnectionLabels {
            connection: connection.clone(),
        };
        self.in_flight
            .get_or_create(&c)
            .set(i64::try_from(in_flight).unwrap_or(i64::MAX));
        self.limit
            .get_or_create(&c)
            .set(i64::try_from(limit).unwrap_or(i64::MAX));
    }
}

/// The cache classes, as label values.
pub(crate) const CACHE_CLASSES: [&str; 3] = ["immutable", "listing", "volatile"];

/// What the upstream cache is measured by.
pub(crate) struct CacheMetrics {
    hits: Family<ClassLabels, Counter>,
    misses: Family<ClassLabels, Counter>,
    coalesced: Family<ClassLabels, Counter>,
    evictions: Family<EvictionLabels, Counter>,
    entries: Family<ClassLabels, Gauge>,
    weight: Family<ClassLabels, Gauge>,
}

/// How a cache lookup was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// From a stored entry.
    Hit,
    /// By loading from Jenkins.
    Miss,
    /// By waiting for another caller's identical load.
    Coalesced,
}

impl Lookup {
    /// `hit`, `miss` or `coalesced`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Lookup::Hit => "hit",
            Lookup::Miss => "miss",
            Lookup::Coalesced => "coalesced",
        }
    }
}

impl CacheMetrics {
    /// Every series at zero, so a scrape shows each class before its first lookup.
    fn zeroed(self) -> Self {
        for class in CACHE_CLASSES {
            let c = ClassLabels { class };
            for family in [&self.hits, &self.misses, &self.coalesced] {
                let _ = family.get_or_create(&c);
            }
            let _ = self.entries.get_or_create(&c);
            let _ = self.weight.get_or_create(&c);
            for cause in ["size", "expired"] {
                let _ = self
                    .evictions
                    .get_or_create(&EvictionLabels { class, cause });
            }
        }
        self
    }

    /// One lookup of an entry of `class`.
    pub(crate) fn lookup(&self, class: &'static str, how: Lookup) {
        let family = match how {
            Lookup::Hit => &self.hits,
            Lookup::Miss => &self.misses,
            Lookup::Coalesced => &self.coalesced,
        };
        family.get_or_create(&ClassLabels { class }).inc();
    }

    /// An entry of `class` weighing `weight` was stored.
    pub(crate) fn stored(&self, class: &'static str, weight: u32) {
        let c = ClassLabels { class };
        self.entries.get_or_create(&c).inc();
        self.weight.get_or_create(&c).inc_by(i64::from(weight));
    }

    /// An entry was removed; `cause` is `Some("size" | "expired")` for evictions.
    pub(crate) fn removed(&self, class: &'static str, weight: u32, cause: Option<&'static str>) {
        let c = ClassLabels { class };
        self.entries.get_or_create(&c).dec();
        self.weight.get_or_create(&c).dec_by(i64::from(weight));
        if let Some(cause) = cause {
            self.evictions
                .get_or_create(&EvictionLabels { class, cause })
                .inc();
        }
    }
}

/// The registry and every family in it.
pub(crate) struct Metrics {
    registry: Registry,
    /// GraphQL requests.
    pub(crate) graphql: GraphqlMetrics,
    /// Requests to Jenkins.
    pub(crate) upstream: UpstreamMetrics,
    /// The upstream cache.
    pub(crate) cache: CacheMetrics,
    /// The fleet, from the answers the gateway already has.
    pub(crate) fleet: FleetMetrics,
    uptime: Gauge<f64, std::sync::atomic::AtomicU64>,
    started: Instant,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new(100)
    }
}

impl Metrics {
    /// A registry with every family, keeping at most `max_operation_names` operation labels.
    pub(crate) fn new(max_operation_names: usize) -> Self {
        let mut root = Registry::with_prefix(n::PREFIX);
        let graphql = GraphqlMetrics {
            requests: Family::default(),
            errors: Family::default(),
            duration: family(&DURATION_BUCKETS),
            upstream_wait: family(&DURATION_BUCKETS),
            overhead: family(&OVERHEAD_BUCKETS),
            response_size: family(&SIZE_BUCKETS),
            upstream_requests: family(&COUNT_BUCKETS),
            operations: OperationNames::new(max_operation_names),
            no_code: Arc::from("NONE"),
        };
        let upstream = UpstreamMetrics {
            requests: Family::default(),
            duration: family(&DURATION_BUCKETS),
            received: Family::default(),
            retries: Family::default(),
            circuit: Family::default(),
            in_flight: Family::default(),
            limit: Family::default(),
        };
        let cache = CacheMetrics {
            hits: Family::default(),
            misses: Family::default(),
            coalesced: Family::default(),
            evictions: Family::default(),
            entries: Family::default(),
            weight: Family::default(),
        }
        .zeroed();
        let fleet = FleetMetrics::default();
        let uptime = Gauge::default();
        let r = &mut root;
        register_graphql(r, &graphql);
        register_upstream(r, &upstream);
        register_cache(r, &cache);
        fleet.register(r);
        r.register_with_unit(
            n::UPTIME,
            "Seconds since the gateway started.",
            Unit::Seconds,
            uptime.clone(),
        );
        r.register(
            n::BUILD,
            "The gateway's version.",
            Info::new(VersionLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Metrics {
            registry: root,
            graphql,
            upstream,
            cache,
            fleet,
            uptime,
            started: Instant::now(),
        }
    }

    /// Count refusals by access control as `majordomo_auth_refused_total{reason}`, read
    /// from `snapshot` (`(reason, count)` pairs) at each scrape.
    pub(crate) fn collect_refusals(
        &mut self,
        snapshot: impl Fn() -> Vec<(&'static str, u64)> + Send + Sync + 'static,
    ) {
        self.registry
            .register_collector(Box::new(Refusals(Box::new(snapshot))));
    }

    /// Metrics kept elsewhere and read at each scrape, each one series without labels:
    /// `(name, help, is a gauge, value)`; the shared cache's counters use it.
    pub(crate) fn collect_plain(
        &mut self,
        snapshot: impl Fn() -> Vec<(&'static str, &'static str, bool, u64)> + Send + Sync + 'static,
    ) {
        self.registry
            .register_collector(Box::new(Plain(Box::new(snapshot))));
    }

    /// Every metric in the OpenMetrics text format ([`CONTENT_TYPE`]).
    pub(crate) fn render(&self) -> String {
        self.uptime.set(self.started.elapsed().as_secs_f64());
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The refusal counts of access control, kept by `guard::auth` and read at each scrape.
struct Refusals(Box<dyn Fn() -> Vec<(&'static str, u64)> + Send + Sync>);

impl std::fmt::Debug for Refusals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Refusals")
    }
}

impl prometheus_client::collector::Collector for Refusals {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> std::fmt::Result {
        use prometheus_client::encoding::EncodeMetric as _;
        use prometheus_client::metrics::counter::ConstCounter;
        let mut family = encoder.encode_descriptor(
            n::AUTH_REFUSED,
            "Requests refused by access control, by reason (missing, invalid, unavailable, \
             rate_limited, not_admin).",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (reason, count) in (self.0)() {
            let labels = [("reason", reason)];
            ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}

/// Plain series read at each scrape (see [`Metrics::collect_plain`]).
type PlainSnapshot = Box<dyn Fn() -> Vec<(&'static str, &'static str, bool, u64)> + Send + Sync>;
struct Plain(PlainSnapshot);

impl std::fmt::Debug for Plain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Plain")
    }
}

impl prometheus_client::collector::Collector for Plain {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> std::fmt::Result {
        use prometheus_client::encoding::EncodeMetric as _;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        use prometheus_client::metrics::MetricType;
        for (name, help, gauge, value) in (self.0)() {
            let kind = if gauge {
                MetricType::Gauge
            } else {
                MetricType::Counter
            };
            let metric = encoder.encode_descriptor(name, help, None, kind)?;
            if gauge {
                ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX)).encode(metric)?;
            } else {
                ConstCounter::new(value).encode(metric)?;
            }
        }
        Ok(())
    }
}

fn register_graphql(r: &mut Registry, g: &GraphqlMetrics) {
    r.register(
        n::GRAPHQL_REQUESTS,
        "GraphQL requests answered, by operation, type, outcome and first error code.",
        g.requests.clone(),
    );
    r.register(
        n::GRAPHQL_ERRORS,
        "GraphQL errors in answers, by operation and code.",
        g.errors.clone(),
    );
    r.register_with_unit(
        n::GRAPHQL_DURATION,
        "Time to answer a GraphQL request, by operation and outcome.",
        Unit::Seconds,
        g.duration.clone(),
    );
    r.register_with_unit(
        n::GRAPHQL_UPSTREAM_WAIT,
        "Time a GraphQL request spent with at least one upstream request or cache load in flight.",
        Unit::Seconds,
        g.upstream_wait.clone(),
    );
    r.register_with_unit(
        n::GRAPHQL_OVERHEAD,
        "Gateway overhead: a GraphQL request's duration less its time waiting on Jenkins.",
        Unit::Seconds,
        g.overhead.clone(),
    );
    r.register_with_unit(
        n::GRAPHQL_RESPONSE_SIZE,
        "Size of the JSON answer of a GraphQL request.",
        Unit::Bytes,
        g.response_size.clone(),
    );
    r.register(
        n::GRAPHQL_UPSTREAM_REQUESTS,
        "Upstream requests one GraphQL request sent to Jenkins (cache hits excluded).",
        g.upstream_requests.clone(),
    );
}

fn register_upstream(r: &mut Registry, u: &UpstreamMetrics) {
    r.register(
        n::UPSTREAM_REQUESTS,
        "HTTP requests sent to Jenkins, by connection, endpoint kind and status class.",
        u.requests.clone(),
    );
    r.register_with_unit(
        n::UPSTREAM_DURATION,
        "Time from sending a request to Jenkins to its response head.",
        Unit::Seconds,
        u.duration.clone(),
    );
    r.register_with_unit(
        n::UPSTREAM_RECEIVED,
        "Response body bytes received from Jenkins.",
        Unit::Bytes,
        u.received.clone(),
    );
    r.register(
        n::UPSTREAM_RETRIES,
        "Requests to Jenkins sent a second time after a connection error or a 502/503.",
        u.retries.clone(),
    );
    r.register(
        n::UPSTREAM_CIRCUIT,
        "Circuit breaker of a connection: 1 for its current state, 0 for the others.",
        u.circuit.clone(),
    );
    r.register(
        n::UPSTREAM_IN_FLIGHT,
        "Requests to a connection holding one of its concurrency slots.",
        u.in_flight.clone(),
    );
    r.register(
        n::UPSTREAM_LIMIT,
        "Concurrency slots of a connection (max_concurrency).",
        u.limit.clone(),
    );
}

fn register_cache(r: &mut Registry, c: &CacheMetrics) {
    r.register(
        n::CACHE_HITS,
        "Cache lookups answered from a stored entry, by class.",
        c.hits.clone(),
    );
    r.register(
        n::CACHE_MISSES,
        "Cache lookups that loaded from Jenkins, by class.",
        c.misses.clone(),
    );
    r.register(
        n::CACHE_COALESCED,
        "Cache lookups that waited for another caller's identical in-flight load, by class.",
        c.coalesced.clone(),
    );
    r.register(
        n::CACHE_EVICTIONS,
        "Cache entries evicted, by class and cause (size, expired).",
        c.evictions.clone(),
    );
    r.register(
        n::CACHE_ENTRIES,
        "Cache entries stored, by class.",
        c.entries.clone(),
    );
    r.register_with_unit(
        n::CACHE_WEIGHT,
        "Weight of the cache entries stored (upstream body bytes), by class.",
        Unit::Bytes,
        c.weight.clone(),
    );
}
