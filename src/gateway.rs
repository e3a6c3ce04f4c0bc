//! [`GatewayState`]: what every request shares: the connections, their clients, the cache,
//! the access rules (who may ask, trusted documents) and the metrics they count into.

use std::sync::Arc;
use std::time::Instant;

use crate::cache::UpstreamCache;
use crate::config::{Config, ConfigError};
use crate::guard::auth::Access;
use crate::guard::trusted::TrustedDocuments;
use crate::jenkins::JenkinsClient;
use crate::telemetry::metrics::Metrics;

/// One configured Jenkins controller and its client.
pub(crate) struct Upstream {
    /// Connection name (unique).
    pub(crate) name: Arc<str>,
    /// Base URL as configured (never carries credentials).
    pub(crate) url: String,
    /// The client: auth, TLS, timeouts, concurrency limit, cache.
    pub(crate) client: JenkinsClient,
}

struct Inner {
    upstreams: Vec<Arc<Upstream>>,
    metrics: Arc<Metrics>,
    access: Arc<Access>,
    trusted: Arc<TrustedDocuments>,
    config: Config,
    started: Instant,
}

/// Shared state of the gateway: cheap to clone.
#[derive(Clone)]
pub struct GatewayState {
    inner: Arc<Inner>,
}

impl GatewayState {
    /// Build clients for every connection of a validated config.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let access = Arc::new(Access::from_config(&config)?);
        let mut metrics = Metrics::new(config.telemetry.max_operation_names);
        let refusals = Arc::clone(&access);
        metrics.collect_refusals(move || refusals.counters().snapshot().to_vec());
        // The cache counts into the metrics, and the metrics read the shared cache's
        // counters at each scrape: the collector finds the cache once it exists.
        let cache_slot = Arc::new(std::sync::OnceLock::<Arc<UpstreamCache>>::new());
        let scraped = Arc::clone(&cache_slot);
        metrics.collect_plain(move || {
            scraped
                .get()
                .and_then(|c| c.shared_stats())
                .map(|s| s.series())
                .unwrap_or_default()
        });
        let metrics = Arc::new(metrics);
        let cache = Arc::new(UpstreamCache::new(&config.cache, Arc::clone(&metrics))?);
        let _ = cache_slot.set(Arc::clone(&cache));
        let mut upstreams = Vec::with_capacity(config.connections.len());
        for c in &config.connections {
            let client = JenkinsClient::new(c, cache.clone())?;
            let name = Arc::from(c.name.as_str());
            metrics.fleet.connection_status(&name, "UNKNOWN");
            metrics.upstream.connection_added(&name);
            upstreams.push(Arc::new(Upstream {
                name: Arc::from(c.name.as_str()),
                url: c.url.clone(),
                client,
            }));
        }
        let trusted = Arc::new(TrustedDocuments::load(&config.trusted_documents)?);
        Ok(GatewayState {
            inner: Arc::new(Inner {
                upstreams,
                metrics,
                access,
                trusted,
                config,
                started: Instant::now(),
            }),
        })
    }

    /// Every connection, in configuration order.
    pub(crate) fn upstreams(&self) -> &[Arc<Upstream>] {
        &self.inner.upstreams
    }

    /// How many connections it serves.
    pub fn connection_count(&self) -> usize {
        self.inner.upstreams.len()
    }

    /// The connection with that name.
    pub(crate) fn upstream(&self, name: &str) -> Option<&Arc<Upstream>> {
        self.inner.upstreams.iter().find(|u| &*u.name == name)
    }

    /// The metrics every layer counts into.
    pub(crate) fn metrics(&self) -> &Arc<Metrics> {
        &self.inner.metrics
    }

    /// Every metric now, in the OpenMetrics text format: the gauges of each connection's
    /// breaker and slots are read at this moment.
    pub fn metrics_text(&self) -> String {
        let m = &self.inner.metrics;
        for up in &self.inner.upstreams {
            let (in_flight, limit) = up.client.slots();
            m.upstream.connection_state(
                &up.name,
                up.client.circuit_state().label(),
                in_flight,
                limit,
            );
        }
        m.render()
    }

    /// Who may ask: keys, tokens, scopes, rates, and the count of refusals.
    pub(crate) fn access(&self) -> &Arc<Access> {
        &self.inner.access
    }

    /// The trusted documents.
    pub(crate) fn trusted(&self) -> &Arc<TrustedDocuments> {
        &self.inner.trusted
    }

    /// The configuration the gateway runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// When the gateway started.
    pub fn started(&self) -> Instant {
        self.inner.started
    }

    /// Upstream requests made so far, over all connections.
    pub fn upstream_requests(&self) -> u64 {
        self.inner
            .upstreams
            .iter()
            .map(|u| u.client.upstream_requests())
            .sum()
    }
}
