//! Per-request loaders: batch and de-duplicate what resolvers ask for.
//!
//! Resolvers never call the Jenkins client; they ask [`Loaders`], which funnels every
//! upstream fetch through one async-graphql [`DataLoader`]. Keys that arrive in the same
//! tick are grouped: jobs under the same folder that want the same fields become one
//! request on the folder (`jobs[…]`); everything else runs concurrently, bounded per
//! controller by the client's semaphore. Each key carries its own result, so one failing
//! controller never fails the keys of another.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use futures::future::join_all;

use crate::cache::CacheClass;
use crate::gateway::{GatewayState, Upstream};
use crate::jenkins::{wire, JenkinsError, LogGrep, LogTail};
use crate::planner::TreeSpec;

/// What a resolver can ask for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Fetch {
    /// A job or folder (`""` is the controller root) with a tree.
    Item {
        conn: Arc<str>,
        full_name: String,
        tree: String,
    },
    /// A build with a tree.
    Build {
        conn: Arc<str>,
        job: String,
        number: u32,
        tree: String,
    },
    /// A slice `[start, end)` of a job's builds, newest first.
    Builds {
        conn: Arc<str>,
        job: String,
        fields: String,
        start: u32,
        end: u32,
    },
    /// A pipeline run's stages (`wfapi/describe`).
    Run {
        conn: Arc<str>,
        job: String,
        number: u32,
    },
    /// One flow node with its children (`execution/node/ID/wfapi/describe`).
    Node {
        conn: Arc<str>,
        job: String,
        number: u32,
        node: String,
    },
    /// The log tail of one flow node (`wfapi/log`).
    NodeLog {
        conn: Arc<str>,
        job: String,
        number: u32,
        node: String,
        finished: bool,
    },
    /// The junit report of a build.
    Tests {
        conn: Arc<str>,
        job: String,
        number: u32,
        tree: String,
        finished: bool,
    },
    /// The queue.
    Queue { conn: Arc<str>, tree: String },
    /// The computers.
    Computers { conn: Arc<str>, tree: String },
    /// Reachability, version and quiet-down state of a controller.
    Probe { conn: Arc<str> },
    /// The end of a build log.
    LogTail {
        conn: Arc<str>,
        job: String,
        number: u32,
        max_bytes: usize,
    },
    /// A search through a build log.
    LogGrep {
        conn: Arc<str>,
        job: String,
        number: u32,
        pattern: String,
        context: usize,
        max: usize,
    },
}

/// What the probe learned about a controller.
#[derive(Debug, Clone)]
pub struct Probe {
    /// `X-Jenkins`.
    pub version: Option<String>,
    /// Whether the controller is quieting down.
    pub quieting_down: bool,
    /// Round trip of the last upstream request, ms.
    pub latency_ms: Option<f64>,
}

/// What came back.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// An item.
    Item(Arc<wire::Item>),
    /// A build.
    Build(Arc<wire::Build>),
    /// A run.
    Run(Arc<wire::RunExt>),
    /// A flow node.
    Node(Arc<wire::StageNodeExt>),
    /// A node log.
    NodeLog(Arc<wire::NodeLogExt>),
    /// A test report.
    Tests(Arc<wire::TestReport>),
    /// The queue.
    Queue(Arc<wire::Queue>),
    /// Computers.
    Computers(Arc<wire::ComputerSet>),
    /// A probe.
    Probe(Probe),
    /// A log tail.
    LogTail(Arc<LogTail>),
    /// A log search.
    LogGrep(Arc<LogGrep>),
}

impl Fetched {
    fn kind(&self) -> &'static str {
        match self {
            Fetched::Item(_) => "an item",
            Fetched::Build(_) => "a build",
            Fetched::Run(_) => "a run",
            Fetched::Node(_) => "a flow node",
            Fetched::NodeLog(_) => "a node log",
            Fetched::Tests(_) => "a test report",
            Fetched::Queue(_) => "the queue",
            Fetched::Computers(_) => "the computers",
            Fetched::Probe(_) => "a probe",
            Fetched::LogTail(_) => "a log tail",
            Fetched::LogGrep(_) => "a log search",
        }
    }
}

/// The batch function behind the per-request [`DataLoader`].
pub struct UpstreamLoader {
    state: GatewayState,
}

type Answer = Result<Fetched, JenkinsError>;

fn parent_of(full_name: &str) -> Option<(&str, &str)> {
    if full_name.is_empty() {
        return None;
    }
    Some(full_name.rsplit_once('/').unwrap_or(("", full_name)))
}

impl UpstreamLoader {
    fn upstream(&self, conn: &str) -> Result<&Arc<Upstream>, JenkinsError> {
        self.state
            .upstream(conn)
            .ok_or_else(|| JenkinsError::NotFound {
                connection: conn.to_string(),
            })
    }

    async fn item(
        &self,
        conn: &str,
        full_name: &str,
        tree: &str,
    ) -> Result<Arc<wire::Item>, JenkinsError> {
        let up = self.upstream(conn)?;
        if full_name.is_empty() {
            let q = format!("api/json?tree={tree}");
            up.client
                .get_json::<wire::Item>(&q, CacheClass::Listing)
                .await
        } else {
            up.client.item(full_name, tree).await
        }
    }

    /// Siblings wanting the same fields: one request on their parent.
    async fn siblings(&self, conn: &str, parent: &str, tree: &str, names: &[&str]) -> Vec<Answer> {
        let listing = self.item(conn, parent, &format!("jobs[{tree}]")).await;
        if let Err(e) = &listing {
            tracing::warn!(connection = %e.connection(), code = e.code(), hint = e.hint(), "upstream request failed: {e}");
        }
        names
            .iter()
            .map(|name| match &listing {
                Ok(parent) => parent
                    .jobs
                    .iter()
                    .flatten()
                    .find(|j| j.name.as_deref() == Some(*name))
                    .map(|j| Fetched::Item(Arc::clone(j)))
                    .ok_or_else(|| JenkinsError::NotFound {
                        connection: conn.to_string(),
                    }),
                Err(e) => Err(e.clone()),
            })
            .collect()
    }

    /// What a probe learns from a root answer that succeeded.
    async fn probe_from(&self, up: &Upstream, quieting_down: Option<bool>) -> Probe {
        Probe {
            // The root answer carried `X-Jenkins`, so this asks nothing more.
            version: up.client.version().await.unwrap_or(None),
            quieting_down: quieting_down.unwrap_or(false),
            latency_ms: up.client.last_latency().map(|d| d.as_secs_f64() * 1000.0),
        }
    }

    /// A probe and a root listing of the same controller in one batch: the listing
    /// (with `quietingDown` added) answers both, saving the probe's request.
    async fn root_with_probe(&self, root: &Fetch, probe: &Fetch) -> Vec<(Fetch, Answer)> {
        let Fetch::Item { conn, tree, .. } = root else {
            return vec![
                (root.clone(), self.one(root).await),
                (probe.clone(), self.one(probe).await),
            ];
        };
        let listing = self.item(conn, "", &format!("{tree},quietingDown")).await;
        let probe_answer = match (&listing, self.upstream(conn)) {
            (Ok(item), Ok(up)) => Ok(Fetched::Probe(
                self.probe_from(up, item.quieting_down).await,
            )),
            (Err(e), _) => {
                tracing::warn!(connection = %e.connection(), code = e.code(), hint = e.hint(), "upstream request failed: {e}");
                Err(e.clone())
            }
            (_, Err(e)) => Err(e),
        };
        vec![
            (root.clone(), listing.map(Fetched::Item)),
            (probe.clone(), probe_answer),
        ]
    }

    async fn one(&self, key: &Fetch) -> Answer {
        let answer = self.fetch_one(key).await;
        if let Err(e) = &answer {
            // Messages never carry credentials; the code and hint say what to check.
            tracing::warn!(connection = %e.connection(), code = e.code(), hint = e.hint(), "upstream request failed: {e}");
        }
        answer
    }

    async fn fetch_one(&self, key: &Fetch) -> Answer {
        match key {
            Fetch::Item {
                conn,
                full_name,
                tree,
            } => self.item(conn, full_name, tree).await.map(Fetched::Item),
            Fetch::Build {
                conn,
                job,
                number,
                tree,
            } => self
                .upstream(conn)?
                .client
                .build(job, *number, tree)
                .await
                .map(Fetched::Build),
            Fetch::Builds {
                conn,
                job,
                fields,
                start,
                end,
            } => self
                .upstream(conn)?
                .client
                .builds_page(job, fields, *start..*end)
                .await
                .map(Fetched::Item),
            Fetch::Run { conn, job, number } => self
                .upstream(conn)?
                .client
                .wfapi_describe(job, *number)
                .await
                .map(Fetched::Run),
            Fetch::Node {
                conn,
                job,
                number,
                node,
            } => self
                .upstream(conn)?
                .client
                .wfapi_node(job, *number, node)
                .await
                .map(Fetched::Node),
            Fetch::NodeLog {
                conn,
                job,
                number,
                node,
                finished,
            } => self
                .upstream(conn)?
                .client
                .wfapi_node_log(job, *number, node, *finished)
                .await
                .map(Fetched::NodeLog),
            Fetch::Tests {
                conn,
                job,
                number,
                tree,
                finished,
            } => self
                .upstream(conn)?
                .client
                .test_report(job, *number, tree, *finished)
                .await
                .map(Fetched::Tests),
            Fetch::Queue { conn, tree } => self
                .upstream(conn)?
                .client
                .queue(tree)
                .await
                .map(Fetched::Queue),
            Fetch::Computers { conn, tree } => self
                .upstream(conn)?
                .client
                .computers(tree)
                .await
                .map(Fetched::Computers),
            Fetch::Probe { conn } => {
                let up = self.upstream(conn)?;
                let root = up
                    .client
                    .get_json::<wire::Root>("api/json?tree=quietingDown", CacheClass::Volatile)
                    .await?;
                Ok(Fetched::Probe(
                    self.probe_from(up, root.quieting_down).await,
                ))
            }
            Fetch::LogTail {
                conn,
                job,
                number,
                max_bytes,
            } => self
                .upstream(conn)?
                .client
                .log_tail(job, *number, *max_bytes)
                .await
                .map(Fetched::LogTail),
            Fetch::LogGrep {
                conn,
                job,
                number,
                pattern,
                context,
                max,
            } => self
                .upstream(conn)?
                .client
                .log_grep(job, *number, pattern, *context, *max)
                .await
                .map(Fetched::LogGrep),
        }
    }
}

impl Loader<Fetch> for UpstreamLoader {
    type Value = Answer;
    type Error = std::convert::Infallible;

    async fn load(&self, keys: &[Fetch]) -> Result<HashMap<Fetch, Answer>, Self::Error> {
        // Group items by (connection, parent): two or more siblings become one listing of
        // their parent, with the union of the fields each wants.
        let mut groups: HashMap<(Arc<str>, String), Vec<&Fetch>> = HashMap::new();
        let mut singles: Vec<&Fetch> = Vec::new();
        for key in keys {
            match key {
                Fetch::Item {
                    conn, full_name, ..
                } => match parent_of(full_name) {
                    Some((parent, _)) => groups
                        .entry((conn.clone(), parent.to_string()))
                        .or_default()
                        .push(key),
                    None => singles.push(key),
                },
                _ => singles.push(key),
            }
        }
        // A probe rides on a root listing of the same controller asked in the same tick.
        let mut pairs = Vec::new();
        singles.retain(|k| !matches!(k, Fetch::Probe { .. }));
        for key in keys {
            if let Fetch::Probe { conn } = key {
                let root = singles.iter().position(
                    |k| matches!(k, Fetch::Item { conn: c, full_name, .. } if c == conn && full_name.is_empty()),
                );
                match root {
                    Some(i) => pairs.push((singles.remove(i), key)),
                    None => singles.push(key),
                }
            }
        }
        let pairs = join_all(
            pairs
                .into_iter()
                .map(|(root, probe)| self.root_with_probe(root, probe)),
        );
        let mut batched = Vec::new();
        for ((conn, parent), members) in groups {
            let tree = match merged_tree(&members) {
                Some(tree) if members.len() >= 2 => tree,
                _ => {
                    singles.extend(members);
                    continue;
                }
            };
            batched.push(async move {
                let names: Vec<&str> = members
                    .iter()
                    .filter_map(|k| match k {
                        Fetch::Item { full_name, .. } => parent_of(full_name).map(|(_, n)| n),
                        _ => None,
                    })
                    .collect();
                let answers = self.siblings(&conn, &parent, &tree, &names).await;
                members
                    .into_iter()
                    .cloned()
                    .zip(answers)
                    .collect::<Vec<_>>()
            });
        }
        let singles = join_all(
            singles
                .into_iter()
                .map(|k| async move { (k.clone(), self.one(k).await) }),
        );
        let (batched, singles, pairs) = futures::join!(join_all(batched), singles, pairs);
        Ok(batched
            .into_iter()
            .flatten()
            .chain(singles)
            .chain(pairs.into_iter().flatten())
            .collect())
    }
}

/// The union of the trees of sibling item keys (`None` if one is not the planner's).
fn merged_tree(members: &[&Fetch]) -> Option<String> {
    let mut merged = TreeSpec::new();
    for m in members {
        if let Fetch::Item { tree, .. } = m {
            merged.merge(&TreeSpec::parse(tree)?);
        }
    }
    Some(merged.render())
}

/// The per-request loaders, put on every GraphQL request.
pub struct Loaders {
    loader: DataLoader<UpstreamLoader>,
}

macro_rules! typed {
    ($name:ident, $variant:ident, $ty:ty) => {
        /// Load and unwrap one kind of answer.
        pub async fn $name(&self, key: Fetch) -> Result<$ty, JenkinsError> {
            match self.fetch(key).await? {
                Fetched::$variant(v) => Ok(v),
                other => Err(JenkinsError::InvalidResponse {
                    connection: String::new(),
                    path: String::new(),
                    detail: format!("the loader answered with {}", other.kind()),
                }),
            }
        }
    };
}

impl Loaders {
    /// Fresh loaders for one GraphQL request.
    pub fn new(state: &GatewayState) -> Self {
        Loaders {
            loader: DataLoader::new(
                UpstreamLoader {
                    state: state.clone(),
                },
                tokio::spawn,
            ),
        }
    }

    /// Load one key (batched with whatever else arrives in the same tick).
    pub async fn fetch(&self, key: Fetch) -> Answer {
        match self.loader.load_one(key.clone()).await {
            Ok(Some(answer)) => answer,
            Ok(None) => Err(JenkinsError::NotFound {
                connection: String::new(),
            }),
            Err(never) => match never {},
        }
    }

    typed!(item, Item, Arc<wire::Item>);
    typed!(build, Build, Arc<wire::Build>);
    typed!(run, Run, Arc<wire::RunExt>);
    typed!(node, Node, Arc<wire::StageNodeExt>);
    typed!(node_log, NodeLog, Arc<wire::NodeLogExt>);
    typed!(tests, Tests, Arc<wire::TestReport>);
    typed!(queue, Queue, Arc<wire::Queue>);
    typed!(computers, Computers, Arc<wire::ComputerSet>);
    typed!(probe, Probe, Probe);
    typed!(log_tail, LogTail, Arc<LogTail>);
    typed!(log_grep, LogGrep, Arc<LogGrep>);
}
