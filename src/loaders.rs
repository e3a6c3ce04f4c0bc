//! Per-request loaders: batch and de-duplicate what resolvers ask for.
//!
//! Resolvers never call the Jenkins client; they ask [`Loaders`] in typed terms (an item
//! with a [`Tree`], a build, a run's stages, a log tail), and every fetch goes through
//! one async-graphql [`DataLoader`] with one typed key per kind of answer. Keys that
//! arrive in the same tick are batched: items asked for the same path become one request
//! with the union of their trees (so a connection's probe rides on its root listing), and
//! siblings asked for separately become one listing of their folder. Everything else
//! runs concurrently, bounded per controller by the client. Each key carries its own
//! result, so one failing controller never fails the keys of another.
//!
//! Each batch is a `majordomo.load` span under the query's span (the batches run on
//! tasks of their own, so the parent is given, not inherited): the resolvers that waited
//! on it, grouped, with the upstream fetches it made beneath.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};
use futures::future::join_all;
use futures::FutureExt as _;

use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::client::from_cache;
use crate::jenkins::log::LogSearch;
use crate::jenkins::{wire, JenkinsError, LogGrep, LogTail, QueryBudget, Tree};
use crate::planner::builds::Pager;
use crate::planner::live::left_item_tree;
use crate::planner::split;
use crate::planner::{computers_tree, probe_tree, queue_tree, running_tree, tests_tree};
use crate::telemetry::traces;

/// What an upstream fetch answers.
pub(crate) type Answer<T> = Result<Arc<T>, JenkinsError>;

/// A build of a job on a connection: the address every build-level fetch shares.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct BuildRef {
    /// Connection name.
    pub(crate) conn: Arc<str>,
    /// Job full name.
    pub(crate) job: String,
    /// Build number.
    pub(crate) number: u32,
}

/// A job or folder (`""` is the controller root) with a tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ItemKey {
    conn: Arc<str>,
    full_name: String,
    tree: Tree,
}

/// One request of a page of builds (a `builds`/`allBuilds` range of a job). Never merged
/// with other keys: its range is exact.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BuildsKey {
    conn: Arc<str>,
    job: String,
    tree: Tree,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct BuildKey {
    build: BuildRef,
    tree: Tree,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RunKey(BuildRef);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct InputsKey(BuildRef);

/// A pipeline job's newest runs (`wfapi/runs`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RunsKey {
    conn: Arc<str>,
    job: String,
}

/// What runs on a controller's flyweight executors (every running pipeline).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RunningKey(Arc<str>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NodeKey {
    build: BuildRef,
    node: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct NodeLogKey {
    build: BuildRef,
    node: String,
    finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TestsKey {
    build: BuildRef,
    finished: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct QueueKey(Arc<str>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ComputersKey(Arc<str>);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LeftItemKey(Arc<str>, i64);

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LogTailKey {
    build: BuildRef,
    max_bytes: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct LogGrepKey {
    build: BuildRef,
    search: LogSearch,
}

/// What the probe learned about a controller.
#[derive(Debug, Clone)]
pub(crate) struct Probe {
    /// `X-Jenkins`.
    pub(crate) version: Option<String>,
    /// Whether the controller is quieting down.
    pub(crate) quieting_down: bool,
    /// Round trip of the last upstream request, ms.
    pub(crate) latency_ms: Option<f64>,
}

/// The batch functions behind the per-request [`DataLoader`].
struct UpstreamLoader {
    state: GatewayState,
    /// What the query may still spend on Jenkins.
    budget: Arc<QueryBudget>,
}

/// Log a failed answer, in its batch's span (a failure waited on Jenkins, so a traced
/// batch has one): the line carries the query's trace id.
fn log_failure<T>(answer: &Result<T, JenkinsError>) {
    if let Err(e) = answer {
        // Messages never carry credentials; the code and hint say what to check.
        let line = || {
            tracing::warn!(connection = %e.connection(), code = e.code(), hint = e.hint(), "upstream request failed: {e}");
        };
        match traces::load_span() {
            Some(span) => span.in_scope(line),
            None => line(),
        }
    }
}

/// A connection and an item path on it.
type ItemPath = (Arc<str>, String);

fn parent_of(full_name: &str) -> Option<(&str, &str)> {
    if full_name.is_empty() {
        return None;
    }
    Some(full_name.rsplit_once('/').unwrap_or(("", full_name)))
}

impl UpstreamLoader {
    fn upstream(&self, conn: &str) -> Result<&Arc<Upstream>, JenkinsError> {
        // Keys are made from connections the schema resolved, so this always finds one.
        self.state
            .upstream(conn)
            .ok_or_else(|| JenkinsError::NotFound {
                connection: conn.to_string(),
            })
    }

    async fn item(&self, conn: &str, full_name: &str, tree: &Tree) -> Answer<wire::Item> {
        let up = self.upstream(conn)?;
        let answer = fetch_item(up, full_name, tree, &self.budget).await;
        log_failure(&answer);
        answer
    }

    /// Siblings: one listing of their parent with the union of what each wants.
    async fn siblings(
        &self,
        conn: &str,
        parent: &str,
        members: Vec<(String, Tree)>,
    ) -> Vec<(String, Answer<wire::Item>)> {
        let mut listing = Tree::new();
        for (_, tree) in &members {
            listing.child("jobs").merge(tree);
        }
        // Each sibling is found in the listing by its name, whatever its tree asked.
        listing.child("jobs").leaf("name");
        let parent_answer = self.item(conn, parent, &listing).await;
        members
            .into_iter()
            .map(|(full_name, _)| {
                let name = parent_of(&full_name).map_or("", |(_, n)| n);
                let answer = match &parent_answer {
                    Ok(p) => p
                        .jobs
                        .iter()
                        .flatten()
                        .find(|j| j.name.as_deref() == Some(name))
                        .cloned()
                        .ok_or_else(|| JenkinsError::NotFound {
                            connection: conn.to_string(),
                        }),
                    Err(e) => Err(e.clone()),
                };
                (full_name, answer)
            })
            .collect()
    }
}

impl Loader<ItemKey> for UpstreamLoader {
    type Value = Answer<wire::Item>;
    type Error = Infallible;

    async fn load(&self, keys: &[ItemKey]) -> Result<HashMap<ItemKey, Self::Value>, Infallible> {
        let conn = keys.first().map_or("", |k| &*k.conn);
        let load = self.load_items(keys);
        traces::in_load(self.budget.span(), "load items", conn, keys.len(), load).await
    }
}

impl UpstreamLoader {
    async fn load_items(
        &self,
        keys: &[ItemKey],
    ) -> Result<HashMap<ItemKey, Answer<wire::Item>>, Infallible> {
        // Keys on the same path share one request with the union of their trees.
        let mut paths: HashMap<ItemPath, Tree> = HashMap::new();
        for k in keys {
            paths
                .entry((k.conn.clone(), k.full_name.clone()))
                .or_default()
                .merge(&k.tree);
        }
        // Two or more children of one folder become one listing of that folder.
        let mut families: HashMap<ItemPath, Vec<(String, Tree)>> = HashMap::new();
        let mut singles = Vec::new();
        for ((conn, full_name), tree) in paths {
            match parent_of(&full_name) {
                Some((parent, _)) => families
                    .entry((conn, parent.to_string()))
                    .or_default()
                    .push((full_name, tree)),
                None => singles.push((conn, full_name, tree)),
            }
        }
        let mut batched = Vec::new();
        for ((conn, parent), members) in families {
            if members.len() >= 2 {
                batched.push((conn, parent, members));
            } else {
                singles.extend(members.into_iter().map(|(f, t)| (conn.clone(), f, t)));
            }
        }
        let singles = join_all(singles.iter().map(|(conn, full_name, tree)| async move {
            (
                (conn.clone(), full_name.clone()),
                self.item(conn, full_name, tree).await,
            )
        }));
        let families = join_all(
            batched
                .into_iter()
                .map(|(conn, parent, members)| async move {
                    self.siblings(&conn, &parent, members)
                        .await
                        .into_iter()
                        .map(|(f, a)| ((conn.clone(), f), a))
                        .collect::<Vec<_>>()
                }),
        );
        let (singles, families) = futures::join!(singles, families);
        let answers: HashMap<ItemPath, Answer<wire::Item>> = singles
            .into_iter()
            .chain(families.into_iter().flatten())
            .collect();
        Ok(keys
            .iter()
            .filter_map(|k| {
                let a = answers.get(&(k.conn.clone(), k.full_name.clone()))?;
                Some((k.clone(), a.clone()))
            })
            .collect())
    }
}

/// An item (`""`: the root) with `tree`, in one request when it fits the controller's
/// request limit, else in the parts the planner splits it into, merged.
async fn fetch_item(
    up: &Upstream,
    full_name: &str,
    tree: &Tree,
    budget: &QueryBudget,
) -> Answer<wire::Item> {
    let parts = split::fit(tree, up.client.item_room(full_name));
    if let [one] = parts.as_slice() {
        return if full_name.is_empty() {
            up.client.root(one, budget).await
        } else {
            up.client.item(full_name, one, budget).await
        };
    }
    let answers = join_all(
        parts
            .iter()
            .map(|p| up.client.item_json(full_name, p, budget)),
    )
    .await;
    merged(up, answers, tree)
}

/// A build with `tree`, split like [`fetch_item`] when it does not fit.
async fn fetch_build(
    up: &Upstream,
    at: &BuildRef,
    tree: &Tree,
    budget: &QueryBudget,
) -> Answer<wire::Build> {
    let parts = split::fit(tree, up.client.build_room(&at.job, at.number));
    if let [one] = parts.as_slice() {
        return up.client.build(&at.job, at.number, one, budget).await;
    }
    let answers = join_all(
        parts
            .iter()
            .map(|p| up.client.build_json(&at.job, at.number, p, budget)),
    )
    .await;
    merged(up, answers, tree)
}

/// The answers to the parts of a split request, merged and parsed.
fn merged<T: serde::de::DeserializeOwned>(
    up: &Upstream,
    answers: Vec<Answer<serde_json::Value>>,
    tree: &Tree,
) -> Answer<T> {
    let mut whole = serde_json::Value::Null;
    for answer in answers {
        split::merge(&mut whole, (*answer?).clone(), tree);
    }
    serde_json::from_value(whole)
        .map(Arc::new)
        .map_err(|e| JenkinsError::InvalidResponse {
            connection: up.name.to_string(),
            path: "(a request split to fit the controller's limit)".into(),
            detail: e.to_string(),
        })
}

/// A key fetched on its own (no merging), concurrently with the others of its batch.
trait Single: Clone + Eq + std::hash::Hash + Send + Sync + 'static {
    type Value: Send + Sync + 'static;
    /// The name of a batch's span.
    const KIND: &'static str;
    fn conn(&self) -> &str;
    fn fetch<'a>(
        &'a self,
        up: &'a Upstream,
        budget: &'a QueryBudget,
    ) -> impl Future<Output = Answer<Self::Value>> + Send + 'a;
}

impl UpstreamLoader {
    async fn each<K: Single>(&self, keys: &[K]) -> HashMap<K, Answer<K::Value>> {
        let conn = keys.first().map_or("", |k| k.conn());
        let load = join_all(keys.iter().map(|k| async move {
            let answer = match self.upstream(k.conn()) {
                Ok(up) => k.fetch(up, &self.budget).await,
                Err(e) => Err(e),
            };
            log_failure(&answer);
            (k.clone(), answer)
        }));
        traces::in_load(self.budget.span(), K::KIND, conn, keys.len(), load)
            .await
            .into_iter()
            .collect()
    }
}

macro_rules! single {
    ($key:ty => $value:ty, $kind:literal, conn: |$c:ident| $conn:expr, fetch: |$k:ident, $up:ident, $b:ident| $fetch:expr) => {
        impl Single for $key {
            type Value = $value;
            const KIND: &'static str = $kind;
            fn conn(&self) -> &str {
                let $c = self;
                $conn
            }
            fn fetch<'a>(
                &'a self,
                $up: &'a Upstream,
                $b: &'a QueryBudget,
            ) -> impl Future<Output = Answer<$value>> + Send + 'a {
                let $k = self;
                async move { $fetch.await }
            }
        }
        impl Loader<$key> for UpstreamLoader {
            type Value = Answer<$value>;
            type Error = Infallible;
            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Infallible> {
                Ok(self.each(keys).await)
            }
        }
    };
}

single!(BuildsKey => wire::Item, "load builds", conn: |k| &k.conn,
    fetch: |k, up, b| fetch_item(up, &k.job, &k.tree, b));
single!(BuildKey => wire::Build, "load build", conn: |k| &k.build.conn,
    fetch: |k, up, b| fetch_build(up, &k.build, &k.tree, b));
single!(RunKey => wire::RunExt, "load stages", conn: |k| &k.0.conn,
    fetch: |k, up, b| up.client.wfapi_describe(&k.0.job, k.0.number, b));
single!(InputsKey => Vec<wire::PendingInputActionExt>, "load inputs", conn: |k| &k.0.conn,
    fetch: |k, up, b| up.client.wfapi_pending_inputs(&k.0.job, k.0.number, b));
single!(RunsKey => Vec<wire::RunExt>, "load runs", conn: |k| &k.conn,
    fetch: |k, up, b| up.client.wfapi_runs(&k.job, b));
single!(RunningKey => wire::ComputerSet, "load running builds", conn: |k| &k.0,
    fetch: |_k, up, b| up.client.computers_partial(&running_tree(), b));
single!(NodeKey => wire::StageNodeExt, "load node", conn: |k| &k.build.conn,
    fetch: |k, up, b| up.client.wfapi_node(&k.build.job, k.build.number, &k.node, b));
single!(NodeLogKey => wire::NodeLogExt, "load node log", conn: |k| &k.build.conn,
    fetch: |k, up, b| up.client.wfapi_node_log(&k.build.job, k.build.number, &k.node, k.finished, b));
single!(TestsKey => wire::TestReport, "load tests", conn: |k| &k.build.conn,
    fetch: |k, up, b| up.client.test_report(&k.build.job, k.build.number, &tests_tree(), k.finished, b));
single!(QueueKey => wire::Queue, "load queue", conn: |k| &k.0,
    fetch: |_k, up, b| up.client.queue(&queue_tree(), b));
single!(ComputersKey => wire::ComputerSet, "load agents", conn: |k| &k.0,
    fetch: |_k, up, b| up.client.computers(&computers_tree(), b));
single!(LeftItemKey => wire::QueueItem, "load queue item", conn: |k| &k.0,
    fetch: |k, up, b| up.client.queue_item(k.1, &left_item_tree(), b));
single!(LogTailKey => LogTail, "load log tail", conn: |k| &k.build.conn,
    fetch: |k, up, b| up.client.log_tail(&k.build.job, k.build.number, k.max_bytes, b));
single!(LogGrepKey => LogGrep, "load log search", conn: |k| &k.build.conn,
    fetch: |k, up, b| up.client.log_grep(&k.build.job, k.build.number, &k.search, b));

/// The per-request loaders, put on every GraphQL request: one [`DataLoader`] per
/// connection, because a batch answers when its slowest key does, and one slow
/// controller must never hold back another's answers. Dropping them (the query was
/// answered, or its client went away) stops the query's remaining upstream requests.
pub(crate) struct Loaders {
    loaders: HashMap<Arc<str>, DataLoader<UpstreamLoader>>,
    budget: Arc<QueryBudget>,
}

impl Drop for Loaders {
    fn drop(&mut self) {
        self.budget.cancel();
    }
}

impl Loaders {
    /// What the request may still spend: a subscription renews it before each event, and
    /// telemetry reads it once the query is answered.
    pub(crate) fn budget(&self) -> &Arc<QueryBudget> {
        &self.budget
    }

    /// Fresh loaders for one GraphQL request spending from `budget`, over the connections
    /// `reach` allows: a key for any other finds no loader and answers `NOT_FOUND`.
    pub(crate) fn new(
        state: &GatewayState,
        budget: Arc<QueryBudget>,
        reach: impl Fn(&str) -> bool,
    ) -> Self {
        let loaders = state
            .upstreams()
            .iter()
            .filter(|up| reach(&up.name))
            .map(|up| {
                let loader = UpstreamLoader {
                    state: state.clone(),
                    budget: budget.clone(),
                };
                (up.name.clone(), DataLoader::new(loader, tokio::spawn))
            })
            .collect();
        Loaders { loaders, budget }
    }

    /// Loaders for one GraphQL request over the connections its caller may `reach`, with
    /// the budget the configuration's limits give every query, as the caller `adjust`s it
    /// (its upstream rate, its forwarded credentials, the query's span or the caller's
    /// trace context).
    pub(crate) fn for_query(
        state: &GatewayState,
        reach: impl Fn(&str) -> bool,
        adjust: impl FnOnce(QueryBudget) -> QueryBudget,
    ) -> Self {
        let l = &state.config().limits;
        let timeout = (l.query_timeout_ms > 0).then(|| Duration::from_millis(l.query_timeout_ms));
        let budget = QueryBudget::new(timeout, l.max_upstream_requests, l.max_log_bytes);
        Loaders::new(state, Arc::new(adjust(budget)), reach)
    }

    /// The answer to one key of connection `conn`: at once when the cache holds it (a warm
    /// query's thousands of stages never wait for a loader batch, its delay and its round
    /// of futures), else through the connection's loader ([`Self::batched`]).
    ///
    /// The cache is asked in one poll, outside this future, and the batch's future is
    /// boxed: a resolver's future holds every loader call it may make, so what this one
    /// holds is paid (allocated and moved) by every field of its object, even those that
    /// never load anything.
    async fn load<K>(&self, conn: &str, key: K) -> Answer<K::Value>
    where
        K: Single,
        UpstreamLoader: Loader<K, Value = Answer<K::Value>, Error = Infallible>,
    {
        if let Some(answer) = self.cached(conn, &key) {
            return answer;
        }
        Box::pin(self.batched(conn, key)).await
    }

    /// The answer to `key` if the cache holds all of it and answers at once (a read that
    /// would wait, on a lock, is left to the batch).
    fn cached<K: Single>(&self, conn: &str, key: &K) -> Option<Answer<K::Value>> {
        let up = self.loaders.get(conn)?.loader().upstream(conn).ok()?;
        from_cache(key.fetch(up, &self.budget)).now_or_never()?
    }

    /// Load one key of connection `conn` in its loader's next batch; past the query's
    /// deadline the caller gets `TIMEOUT` while the rest of the answer goes out.
    async fn batched<K, V>(&self, conn: &str, key: K) -> Answer<V>
    where
        K: Clone + Eq + std::hash::Hash + Send + Sync + 'static,
        V: Send + Sync + 'static,
        UpstreamLoader: Loader<K, Value = Answer<V>, Error = Infallible>,
    {
        let Some(loader) = self.loaders.get(conn) else {
            return Err(JenkinsError::NotFound {
                connection: conn.to_string(),
            });
        };
        let load = loader.load_one(key);
        let answer = match self.budget.deadline() {
            Some(deadline) => match tokio::time::timeout_at(deadline.into(), load).await {
                Ok(answer) => answer,
                Err(_) => return Err(self.budget.deadline_error(conn)),
            },
            None => load.await,
        };
        match answer {
            Ok(Some(answer)) => answer,
            // Every batch answers every key it was given.
            Ok(None) => Err(JenkinsError::InvalidResponse {
                connection: conn.to_string(),
                path: String::new(),
                detail: "no answer for a key".into(),
            }),
            Err(never) => match never {},
        }
    }

    /// A job or folder (`""`: the controller root) with `tree`.
    pub(crate) async fn item(
        &self,
        conn: &Arc<str>,
        full_name: &str,
        tree: Tree,
    ) -> Answer<wire::Item> {
        Box::pin(self.batched(
            conn,
            ItemKey {
                conn: conn.clone(),
                full_name: full_name.to_string(),
                tree,
            },
        ))
        .await
    }

    /// A build with `tree`.
    pub(crate) async fn build(&self, build: &BuildRef, tree: Tree) -> Answer<wire::Build> {
        self.load(
            &build.conn,
            BuildKey {
                build: build.clone(),
                tree,
            },
        )
        .await
    }

    /// One range of a job's builds (`tree` from [`crate::planner::builds_range`]); read
    /// it with [`wire::Item::page_builds`].
    pub(crate) async fn builds_slice(
        &self,
        conn: &Arc<str>,
        job: &str,
        tree: Tree,
    ) -> Answer<wire::Item> {
        self.load(
            conn,
            BuildsKey {
                conn: conn.clone(),
                job: job.to_string(),
                tree,
            },
        )
        .await
    }

    /// One page of a job's builds, as the pager plans it.
    pub(crate) async fn builds(
        &self,
        conn: &Arc<str>,
        job: &str,
        mut pager: Pager,
    ) -> Result<(Vec<Arc<wire::Build>>, bool), JenkinsError> {
        while let Some(tree) = pager.next_request() {
            let page = self.builds_slice(conn, job, tree).await?;
            pager.feed(page.page_builds());
        }
        Ok(pager.finish())
    }

    /// A pipeline run's stages (`wfapi/describe`).
    pub(crate) async fn run(&self, build: &BuildRef) -> Answer<wire::RunExt> {
        self.load(&build.conn, RunKey(build.clone())).await
    }

    /// The inputs a run is waiting for.
    pub(crate) async fn pending_inputs(
        &self,
        build: &BuildRef,
    ) -> Answer<Vec<wire::PendingInputActionExt>> {
        self.load(&build.conn, InputsKey(build.clone())).await
    }

    /// A pipeline job's newest runs with their stages (at most ten, newest first).
    pub(crate) async fn runs(&self, conn: &Arc<str>, job: &str) -> Answer<Vec<wire::RunExt>> {
        self.load(
            conn,
            RunsKey {
                conn: conn.clone(),
                job: job.to_string(),
            },
        )
        .await
    }

    /// The pipeline runs going on now on a controller (its flyweight executors).
    pub(crate) async fn running(&self, conn: &Arc<str>) -> Answer<wire::ComputerSet> {
        self.load(conn, RunningKey(conn.clone())).await
    }

    /// One flow node with its children.
    pub(crate) async fn node(&self, build: &BuildRef, node: &str) -> Answer<wire::StageNodeExt> {
        self.load(
            &build.conn,
            NodeKey {
                build: build.clone(),
                node: node.to_string(),
            },
        )
        .await
    }

    /// The log tail of one flow node.
    pub(crate) async fn node_log(
        &self,
        build: &BuildRef,
        node: &str,
        finished: bool,
    ) -> Answer<wire::NodeLogExt> {
        self.load(
            &build.conn,
            NodeLogKey {
                build: build.clone(),
                node: node.to_string(),
                finished,
            },
        )
        .await
    }

    /// A build's test report.
    pub(crate) async fn tests(&self, build: &BuildRef, finished: bool) -> Answer<wire::TestReport> {
        self.load(
            &build.conn,
            TestsKey {
                build: build.clone(),
                finished,
            },
        )
        .await
    }

    /// A controller's queue.
    pub(crate) async fn queue(&self, conn: &Arc<str>) -> Answer<wire::Queue> {
        self.load(conn, QueueKey(conn.clone())).await
    }

    /// A controller's computers.
    pub(crate) async fn computers(&self, conn: &Arc<str>) -> Answer<wire::ComputerSet> {
        self.load(conn, ComputersKey(conn.clone())).await
    }

    /// A queue item that left the queue: what it became.
    pub(crate) async fn left_item(&self, conn: &Arc<str>, id: i64) -> Answer<wire::QueueItem> {
        self.load(conn, LeftItemKey(conn.clone(), id)).await
    }

    /// The end of a build log.
    pub(crate) async fn log_tail(&self, build: &BuildRef, max_bytes: usize) -> Answer<LogTail> {
        self.load(
            &build.conn,
            LogTailKey {
                build: build.clone(),
                max_bytes,
            },
        )
        .await
    }

    /// A search through a build log.
    pub(crate) async fn log_grep(&self, build: &BuildRef, search: LogSearch) -> Answer<LogGrep> {
        self.load(
            &build.conn,
            LogGrepKey {
                build: build.clone(),
                search,
            },
        )
        .await
    }

    /// Reachability, version and quiet-down state of a controller. It asks the root for
    /// `quietingDown`, which rides on a root listing asked in the same tick.
    pub(crate) async fn probe(&self, up: &Upstream) -> Result<Probe, JenkinsError> {
        let root = self.item(&up.name, "", probe_tree()).await?;
        Ok(Probe {
            // The root answer carried `X-Jenkins`, so this asks nothing more.
            version: up.client.version(&self.budget).await.unwrap_or(None),
            quieting_down: root.quieting_down.unwrap_or(false),
            latency_ms: up.client.last_latency().map(|d| d.as_secs_f64() * 1000.0),
        })
    }
}
