//! One JSON answer: from the in-process cache, else Redis (when configured), else Jenkins,
//! once for every concurrent caller, in a `jenkins.fetch` span that says which.

use std::cell::Cell;
use std::sync::Arc;

use reqwest::Method;
use serde::de::DeserializeOwned;

use super::{strip_query, Endpoint, JenkinsClient};
use crate::cache::{CacheClass, CacheKey, Loaded};
use crate::jenkins::budget::QueryBudget;
use crate::jenkins::error::JenkinsError;
use crate::telemetry::names::SPAN_FETCH;
use crate::telemetry::traces;

tokio::task_local! {
    /// Set while a fetch may answer only from the cache ([`from_cache`]); says whether it
    /// missed.
    static CACHE_ONLY: Cell<bool>;
}

/// `fetch`'s answer when the cache holds everything it reads, else `None`, at its first
/// miss and with nothing sent to Jenkins: a resolver whose answer is cached gets it at
/// once instead of waiting for a loader batch.
pub(crate) async fn from_cache<T>(
    fetch: impl std::future::Future<Output = Result<T, JenkinsError>>,
) -> Option<Result<T, JenkinsError>> {
    let watched = async {
        let answer = fetch.await;
        (answer, CACHE_ONLY.with(Cell::get))
    };
    let (answer, missed) = CACHE_ONLY.scope(Cell::new(false), watched).await;
    (!missed).then_some(answer)
}

impl JenkinsClient {
    pub(super) async fn fetch_json<T, C>(
        &self,
        rel: String,
        endpoint: Endpoint,
        budget: &QueryBudget,
        classify: C,
    ) -> Result<Arc<T>, JenkinsError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        C: FnOnce(&T) -> CacheClass,
    {
        self.fetch_json_with(rel, endpoint, budget, classify, true)
            .await
    }

    /// [`Self::fetch_json`], through Redis only when `share` (and Redis is configured).
    pub(super) async fn fetch_json_with<T, C>(
        &self,
        rel: String,
        endpoint: Endpoint,
        budget: &QueryBudget,
        classify: C,
        share: bool,
    ) -> Result<Arc<T>, JenkinsError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        C: FnOnce(&T) -> CacheClass,
    {
        let (key, shared_key) = self.keys::<T>(rel.clone(), budget);
        let shared_key = shared_key.filter(|_| share);
        let keep_body = shared_key.is_some();
        let path = rel.as_str();
        self.cached(
            key,
            shared_key,
            &rel,
            endpoint,
            budget,
            move || async move {
                let (value, body) = self.load_json::<T>(path, endpoint, budget).await?;
                let class = classify(&value);
                Ok(Loaded {
                    value,
                    weight: body.len(),
                    class,
                    body: keep_body.then_some(body),
                })
            },
        )
        .await
    }

    /// The answer under `key` from the cache, or from the future `load` makes (once for
    /// every concurrent caller; made and boxed only on a miss, so a hit's future stays
    /// small: a warm dashboard makes thousands). While it is not a hit, the query is
    /// waiting on Jenkins. A traced query
    /// counts its hits on its own span and gives each wait a `jenkins.fetch` span, in its
    /// loader batch's (started by this first wait, see [`traces::load_span`]) or, outside
    /// a batch, the request's, saying whether it loaded or joined another caller's load.
    pub(super) async fn cached<T, F, L>(
        &self,
        key: CacheKey,
        shared_key: Option<String>,
        rel: &str,
        endpoint: Endpoint,
        budget: &QueryBudget,
        load: L,
    ) -> Result<Arc<T>, JenkinsError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
        F: std::future::Future<Output = Result<Loaded<T>, JenkinsError>>,
        L: FnOnce() -> F,
    {
        use tracing::Instrument as _;
        let cache = &self.inner.cache;
        if let Some(answer) = cache.get::<T, JenkinsError>(&key, budget.max_age()).await {
            budget.count_hit();
            return answer;
        }
        if CACHE_ONLY.try_with(|missed| missed.set(true)).is_ok() {
            // Inside [`from_cache`], which discards this answer: nothing is sent.
            return Err(JenkinsError::Cancelled {
                connection: self.inner.name.to_string(),
            });
        }
        if !budget.traced() {
            let _waiting = budget.waiting();
            return Box::pin(cache.load(key, shared_key, load())).await.0;
        }
        let batch = traces::load_span();
        let span = tracing::info_span!(
            parent: batch.as_ref().and_then(tracing::Span::id),
            SPAN_FETCH,
            otel.name = endpoint.span_name(),
            majordomo.connection = %self.inner.name,
            majordomo.endpoint = endpoint.as_str(),
            url.path = %format_args!("{}{}", self.inner.base.path(), strip_query(rel)),
            majordomo.cache = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        if let (None, Some(request)) = (batch, budget.span()) {
            // A fetch outside a loader batch hangs under the request itself.
            request.adopt(&span);
        }
        let traced = async {
            let (result, how) = {
                let _waiting = budget.waiting();
                cache.load(key, shared_key, load()).await
            };
            let span = tracing::Span::current();
            span.record("majordomo.cache", how.as_str());
            if let Err(e) = &result {
                span.record("error.type", e.code());
            }
            result
        };
        Box::pin(traced.instrument(span)).await
    }

    pub(super) async fn load_json<T: DeserializeOwned>(
        &self,
        rel: &str,
        endpoint: Endpoint,
        budget: &QueryBudget,
    ) -> Result<(T, Vec<u8>), JenkinsError> {
        let mut upstream = self.send(Method::GET, rel, endpoint, budget).await?;
        let content_type = upstream
            .response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("none")
            .to_string();
        let mut body = Vec::new();
        loop {
            let chunk = match upstream.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(e) => return Err(self.body_failed(&upstream, e, budget)),
            };
            if body.len() + chunk.len() > self.inner.tuning.max_body_bytes {
                return Err(self.invalid_response(
                    rel,
                    format!(
                        "body larger than {} bytes",
                        self.inner.tuning.max_body_bytes
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        self.body_read(upstream);
        match serde_json::from_slice::<T>(&body) {
            Ok(value) => Ok((value, body)),
            // The serde message names a line and column, never the body,
            // which may be a login page we have no business echoing.
            Err(e) => Err(self.invalid_response(rel, format!("{e} (content-type {content_type})"))),
        }
    }
}
