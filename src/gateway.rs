//! [`GatewayState`]: what every request shares: the connections, their clients, the cache,
//! and the access rules (who may ask, trusted documents).

use std::sync::Arc;
use std::time::Instant;

use crate::cache::UpstreamCache;
use crate::config::{Config, ConfigError};
use crate::guard::auth::Access;
use crate::guard::trusted::TrustedDocuments;
use crate::jenkins::JenkinsClient;

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
    cache: Arc<UpstreamCache>,
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
        let cache = Arc::new(UpstreamCache::new(&config.cache)?);
        let mut upstreams = Vec::with_capacity(config.connections.len());
        for c in &config.connections {
            let client = JenkinsClient::new(c, cache.clone())?;
            upstreams.push(Arc::new(Upstream {
                name: Arc::from(c.name.as_str()),
                url: c.url.clone(),
                client,
            }));
        }
        let access = Arc::new(Access::from_config(&config)?);
        let trusted = Arc::new(TrustedDocuments::load(&config.trusted_documents)?);
        Ok(GatewayState {
            inner: Arc::new(Inner {
                upstreams,
                cache,
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

    /// Who may ask: keys, tokens, scopes, rates, and the count of refusals.
    pub(crate) fn access(&self) -> &Arc<Access> {
        &self.inner.access
    }

    /// The trusted documents.
    pub(crate) fn trusted(&self) -> &Arc<TrustedDocuments> {
        &self.inner.trusted
    }

    /// The shared upstream cache.
    pub(crate) fn cache(&self) -> &Arc<UpstreamCache> {
        &self.inner.cache
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
