//! Every metric, span and attribute name the gateway exports, in one place: the README's
//! Observability section and the Grafana dashboard are written against these.
//!
//! Metric names are given without the suffixes the exposition adds: `_total` for
//! counters, the unit (`_seconds`, `_bytes`) for metrics registered with one.

/// Prefix of every metric.
pub(crate) const PREFIX: &str = "majordomo";

// ----- GraphQL -----------------------------------------------------------------------

/// Counter: GraphQL requests by `operation`, `type`, `outcome` and `code`.
pub(crate) const GRAPHQL_REQUESTS: &str = "graphql_requests";
/// Counter: GraphQL errors by `operation` and `code`.
pub(crate) const GRAPHQL_ERRORS: &str = "graphql_errors";
/// Histogram (seconds): time to answer a GraphQL request.
pub(crate) const GRAPHQL_DURATION: &str = "graphql_request_duration";
/// Histogram (seconds): the part of a request's time spent waiting on Jenkins.
pub(crate) const GRAPHQL_UPSTREAM_WAIT: &str = "graphql_upstream_wait";
/// Histogram (seconds): duration less the time waiting on Jenkins.
pub(crate) const GRAPHQL_OVERHEAD: &str = "graphql_gateway_overhead";
/// Histogram (bytes): size of the JSON answer.
pub(crate) const GRAPHQL_RESPONSE_SIZE: &str = "graphql_response_size";
/// Histogram: upstream requests one GraphQL request sent (cache hits not counted).
pub(crate) const GRAPHQL_UPSTREAM_REQUESTS: &str = "graphql_upstream_requests";

// ----- Upstream (Jenkins) ------------------------------------------------------------

/// Counter: HTTP requests sent to Jenkins by `connection`, `endpoint`, `status_class`.
pub(crate) const UPSTREAM_REQUESTS: &str = "upstream_requests";
/// Histogram (seconds): time to the response head of a request to Jenkins.
pub(crate) const UPSTREAM_DURATION: &str = "upstream_request_duration";
/// Counter (bytes): response bytes received from Jenkins.
pub(crate) const UPSTREAM_RECEIVED: &str = "upstream_received";
/// Counter: requests sent again after a failed first attempt.
pub(crate) const UPSTREAM_RETRIES: &str = "upstream_retries";
/// Gauge: 1 for the circuit breaker's current `state` of a connection, 0 for the others.
pub(crate) const UPSTREAM_CIRCUIT: &str = "upstream_circuit_state";
/// Gauge: requests to a connection holding a concurrency slot now.
pub(crate) const UPSTREAM_IN_FLIGHT: &str = "upstream_in_flight";
/// Gauge: a connection's concurrency limit (`max_concurrency`).
pub(crate) const UPSTREAM_LIMIT: &str = "upstream_concurrency_limit";

// ----- Cache -------------------------------------------------------------------------

/// Counter: lookups answered from a stored entry, by `class`.
pub(crate) const CACHE_HITS: &str = "cache_hits";
/// Counter: lookups that loaded from Jenkins, by `class`.
pub(crate) const CACHE_MISSES: &str = "cache_misses";
/// Counter: lookups that waited for another caller's identical load, by `class`.
pub(crate) const CACHE_COALESCED: &str = "cache_coalesced";
/// Counter: entries removed by `class` and `cause` (`size`, `expired`).
pub(crate) const CACHE_EVICTIONS: &str = "cache_evictions";
/// Gauge: entries stored, by `class`.
pub(crate) const CACHE_ENTRIES: &str = "cache_entries";
/// Gauge (bytes): weight of the entries stored (upstream body bytes), by `class`.
pub(crate) const CACHE_WEIGHT: &str = "cache_weighted";

// ----- Fleet -------------------------------------------------------------------------

/// Gauge: 1 when a connection's latest exchange was answered.
pub(crate) const FLEET_UP: &str = "fleet_connection_up";
/// Gauge: 1 for a connection's current `status` (ONLINE, UNAUTHORIZED, …), 0 for others.
pub(crate) const FLEET_STATUS: &str = "fleet_connection_status";
/// Gauge: jobs by `status` in a connection's latest recursive listing.
pub(crate) const FLEET_JOBS: &str = "fleet_jobs";
/// Gauge: items in a connection's queue.
pub(crate) const FLEET_QUEUE: &str = "fleet_queue_items";
/// Gauge: queue items Jenkins reports as stuck.
pub(crate) const FLEET_STUCK: &str = "fleet_queue_stuck_items";
/// Gauge (seconds): how long queue items have waited, by `quantile` (0.5, 0.95).
pub(crate) const FLEET_QUEUE_WAIT: &str = "fleet_queue_wait";
/// Gauge: executors of online agents.
pub(crate) const FLEET_EXECUTORS: &str = "fleet_executors";
/// Gauge: executors running a build.
pub(crate) const FLEET_EXECUTORS_BUSY: &str = "fleet_executors_busy";
/// Gauge: agents (the built-in node included).
pub(crate) const FLEET_AGENTS: &str = "fleet_agents";
/// Gauge: agents offline.
pub(crate) const FLEET_AGENTS_OFFLINE: &str = "fleet_agents_offline";
/// Gauge (seconds since the epoch): when a fleet `view` (jobs, queue, agents) was last
/// updated from an answer.
pub(crate) const FLEET_UPDATED: &str = "fleet_last_update_timestamp";

// ----- Process -----------------------------------------------------------------------

/// Counter: requests refused by access control, by `reason`.
pub(crate) const AUTH_REFUSED: &str = "auth_refused";
/// Gauge (seconds): since the gateway started.
pub(crate) const UPTIME: &str = "uptime";
/// Info: the gateway's `version`.
pub(crate) const BUILD: &str = "build";

// ----- Spans -------------------------------------------------------------------------

/// One GraphQL request (kind server), as log lines name it; exported as `graphql`, renamed
/// to `{type} {operation}` once parsed.
pub(crate) const SPAN_REQUEST: &str = "graphql.request";
/// One batch of a loader: the keys of one kind that one controller is asked for together.
pub(crate) const SPAN_LOAD: &str = "majordomo.load";
/// One answer asked of a controller, through the cache (`majordomo.cache` says how).
pub(crate) const SPAN_FETCH: &str = "jenkins.fetch";
/// One HTTP exchange with a controller (kind client), named by its method.
pub(crate) const SPAN_HTTP: &str = "jenkins.http";

// ----- Label values ------------------------------------------------------------------

/// The operation label of requests without an operation name.
pub(crate) const OP_ANONYMOUS: &str = "__anonymous";
/// The operation label of names past `max_operation_names`.
pub(crate) const OP_OTHER: &str = "__other";
/// The operation label of requests whose operation could not be told (unparsable, or a
/// name the document does not define).
pub(crate) const OP_UNKNOWN: &str = "__unknown";
