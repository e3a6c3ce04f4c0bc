//! Computers (the built-in node and agents), their executors, labels and monitors.

use std::borrow::Cow;

use super::builds::build_class;
use super::ctx::{class, item_path, Ctx};
use super::items::item;
use super::props::{p, s};
use crate::export::{Bean, Prop, Value};
use crate::world::{Agent, JobKind};

/// What occupies a busy executor.
pub(super) enum Occupant {
    /// A pipeline's `node {}` block (`ExecutorStepExecution.PlaceholderTask`).
    Placeholder,
    /// A build that needs a whole executor (freestyle, matrix).
    Build {
        /// Build class.
        class: &'static str,
        /// Build number.
        number: u64,
        /// Absolute build URL.
        url: String,
    },
}

/// Executors of one node. Jenkins replaces an executor when its build ends and appends the
/// new one, so busy executors (which took the lowest numbers) sort after the idle ones: the
/// recorded built-in node lists executors 1, 2, then the busy 0.
pub(super) fn executors<'a>(total: u32, occupants: Vec<Occupant>) -> Value<'a> {
    let busy = (occupants.len() as u32).min(total);
    let idle = (busy..total).map(|n| (n, None));
    let taken = occupants
        .into_iter()
        .take(total as usize)
        .zip(0..)
        .map(|(o, n)| (n, Some(o)));
    Value::List(
        idle.chain(taken)
            .map(|(n, o)| executor(n as i64, o))
            .collect(),
    )
}

pub(super) fn executor<'a>(number: i64, occupant: Option<Occupant>) -> Value<'a> {
    let idle = occupant.is_none();
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.Executor"),
        show_class: false,
        sections: vec![vec![
            p("currentExecutable", move || {
                match occupant {
                None => Value::Null,
                Some(Occupant::Placeholder) => Value::Bean(Bean {
                    class: Cow::Borrowed(
                        "org.jenkinsci.plugins.workflow.support.steps.ExecutorStepExecution$PlaceholderTask$PlaceholderExecutable",
                    ),
                    show_class: true,
                    sections: vec![],
                }),
                Some(Occupant::Build { class, number, url }) => Value::Bean(Bean {
                    class: Cow::Borrowed(class),
                    show_class: true,
                    sections: vec![vec![
                        p("number", move || Value::Int(number as i64)).vis(2),
                        p("url", move || s(url)).vis(2),
                    ]],
                }),
            }
            }),
            p("idle", move || Value::Bool(idle)),
            p("likelyStuck", || Value::Bool(false)),
            p("number", move || Value::Int(number)),
            p("progress", || Value::Int(-1)),
        ]],
    })
}

pub(super) const LOAD_SERIES: [&str; 8] = [
    "availableExecutors",
    "busyExecutors",
    "connectingExecutors",
    "definedExecutors",
    "idleExecutors",
    "onlineExecutors",
    "queueLength",
    "totalExecutors",
];

/// `LoadStatistics`: its time series show as `{}` (their own fields are one level deeper).
pub(super) fn load_statistics<'a>(
    class: &'static str,
    show_class: bool,
    overall: bool,
) -> Value<'a> {
    let series = || {
        Value::Bean(Bean {
            class: Cow::Borrowed("hudson.model.MultiStageTimeSeries"),
            show_class: false,
            sections: vec![],
        })
    };
    let mut sections = vec![LOAD_SERIES.iter().map(|n| p(n, series)).collect::<Vec<_>>()];
    if overall {
        sections.push(vec![p("totalQueueLength", series)]);
    }
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class,
        sections,
    })
}

/// A label (`LabelAtom`) with the executors of the nodes carrying it.
pub(super) fn label_atom<'a>(
    ctx: Ctx<'a>,
    name: String,
    busy: u32,
    total: u32,
    node: Option<String>,
) -> Value<'a> {
    let tied = name.clone();
    Value::Bean(Bean {
        class: Cow::Borrowed("hudson.model.labels.LabelAtom"),
        show_class: false,
        sections: vec![
            vec![
                p("actions", || Value::List(vec![])),
                p("busyExecutors", move || Value::Int(busy.into())),
                p("clouds", || Value::List(vec![])),
                p("description", || Value::Null),
                p("idleExecutors", move || {
                    Value::Int(total.saturating_sub(busy).into())
                }),
                p("loadStatistics", || {
                    load_statistics("hudson.model.Label$1", true, false)
                }),
                p("name", move || s(name)).vis(2),
                p("nodes", move || {
                    let (class, node_name) = match node {
                        None => (class::HUDSON, String::new()),
                        Some(n) => ("hudson.slaves.DumbSlave", n),
                    };
                    Value::List(vec![Value::Bean(Bean {
                        class: Cow::Borrowed(class),
                        show_class: true,
                        sections: vec![vec![p("nodeName", move || s(node_name)).vis(999)]],
                    })])
                }),
                p("offline", || Value::Bool(false)),
                p("tiedJobs", move || {
                    Value::List(
                        ctx.world
                            .jobs()
                            .into_iter()
                            .filter(|(_, _, j)| j.label.as_deref() == Some(tied.as_str()))
                            .filter_map(|(full, _, _)| {
                                let i = ctx.world.item(&full)?;
                                Some(Value::Bean(item(ctx, i, full, true)))
                            })
                            .collect(),
                    )
                }),
                p("totalExecutors", move || Value::Int(total.into())),
            ],
            vec![p("propertiesList", || Value::List(vec![]))],
        ],
    })
}

/// The node monitors, in the order Jenkins lists their readings.
const MONITORS: [&str; 6] = [
    "hudson.node_monitors.SwapSpaceMonitor",
    "hudson.node_monitors.TemporarySpaceMonitor",
    "hudson.node_monitors.DiskSpaceMonitor",
    "hudson.node_monitors.ArchitectureMonitor",
    "hudson.node_monitors.ResponseTimeMonitor",
    "hudson.node_monitors.ClockMonitor",
];

/// The node monitors' last readings, as the recorded built-in node reported them; an
/// offline node has none.
pub(super) fn monitor_data<'a>(now: i64, online: bool) -> Value<'a> {
    Value::Map(
        MONITORS
            .iter()
            .map(|&m| {
                let v = if online { reading(m, now) } else { Value::Null };
                (Cow::Borrowed(m), v)
            })
            .collect(),
    )
}

fn monitor_bean<'a>(class: &'static str, sections: Vec<Vec<Prop<'a>>>) -> Value<'a> {
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class: true,
        sections,
    })
}

/// One monitor's reading on the recorded machine.
fn reading<'a>(monitor: &str, now: i64) -> Value<'a> {
    match monitor {
        "hudson.node_monitors.SwapSpaceMonitor" => monitor_bean(
            "hudson.node_monitors.SwapSpaceMonitor$MemoryUsage2",
            vec![vec![
                p("availablePhysicalMemory", || Value::Int(24_154_845_184)),
                p("availableSwapSpace", || Value::Int(0)),
                p("totalPhysicalMemory", || Value::Int(25_276_502_016)),
                p("totalSwapSpace", || Value::Int(0)),
            ]],
        ),
        "hudson.node_monitors.TemporarySpaceMonitor" => {
            disk_space("/opt/jenkins/tomcat-base/temp", now - 3)
        }
        "hudson.node_monitors.DiskSpaceMonitor" => disk_space("/var/jenkins_home/main", now - 5),
        "hudson.node_monitors.ArchitectureMonitor" => s("Linux (amd64)"),
        "hudson.node_monitors.ResponseTimeMonitor" => monitor_bean(
            "hudson.node_monitors.ResponseTimeMonitor$Data",
            vec![
                vec![p("timestamp", move || Value::Int(now))],
                vec![p("average", || Value::Int(0))],
            ],
        ),
        _ => monitor_bean(
            "hudson.util.ClockDifference",
            vec![vec![p("diff", || Value::Int(0))]],
        ),
    }
}

fn disk_space<'a>(path: &'static str, stamp: i64) -> Value<'a> {
    monitor_bean(
        "hudson.node_monitors.DiskSpaceMonitorDescriptor$DiskSpace",
        vec![
            vec![p("timestamp", move || Value::Int(stamp))],
            vec![
                p("path", move || s(path)),
                p("size", || Value::Int(83_347_599_360)),
                p("threshold", || Value::Int(1_073_741_824)),
                p("totalSize", || Value::Int(270_553_174_016)),
                p("warningThreshold", || Value::Int(2_147_483_648)),
            ],
        ],
    )
}

/// One computer (the built-in node or an agent), fully described by its caller.
pub(super) struct ComputerSpec<'a> {
    pub(super) class: &'static str,
    pub(super) display: String,
    pub(super) description: Option<String>,
    pub(super) labels: Vec<Value<'a>>,
    pub(super) total: u32,
    pub(super) occupants: Vec<Occupant>,
    pub(super) one_off: Vec<Value<'a>>,
    pub(super) offline: bool,
    pub(super) reason: Option<String>,
    pub(super) temporarily: bool,
    pub(super) now: i64,
}

pub(super) fn computer(c: ComputerSpec<'_>) -> Value<'_> {
    let ComputerSpec {
        class,
        display,
        description,
        labels,
        total,
        occupants,
        one_off,
        offline,
        reason,
        temporarily,
        now,
    } = c;
    let idle = occupants.is_empty() && one_off.is_empty();
    let reason2 = reason.clone();
    let icon = if offline {
        "symbol-computer-offline"
    } else {
        "symbol-computer"
    };
    Value::Bean(Bean {
        class: Cow::Borrowed(class),
        show_class: true,
        sections: vec![vec![
            p("actions", || Value::List(vec![])),
            p("assignedLabels", move || Value::List(labels)),
            p("description", move || description.map_or(Value::Null, s)),
            p("displayName", move || s(display)),
            p("executors", move || executors(total, occupants)),
            p("icon", move || s(icon)),
            p("iconClassName", move || s(icon)),
            p("idle", move || Value::Bool(idle)),
            p("jnlpAgent", move || {
                Value::Bool(class != "hudson.model.Hudson$MasterComputer")
            }),
            p("launchSupported", || Value::Bool(true)),
            p("loadStatistics", || {
                load_statistics("hudson.model.Label$1", true, false)
            }),
            p("manualLaunchAllowed", || Value::Bool(true)),
            p("monitorData", move || monitor_data(now, !offline)).inline(),
            p("numExecutors", move || Value::Int(total.into())),
            p("offline", move || Value::Bool(offline)),
            p("offlineCause", move || match reason2 {
                Some(r) if offline => Value::Bean(Bean {
                    class: Cow::Borrowed(if temporarily {
                        "hudson.slaves.OfflineCause$UserCause"
                    } else {
                        "hudson.slaves.OfflineCause$ChannelTermination"
                    }),
                    show_class: true,
                    sections: vec![vec![p("description", move || s(r))]],
                }),
                _ => Value::Null,
            }),
            p("offlineCauseReason", move || {
                s(if offline {
                    reason.unwrap_or_default()
                } else {
                    String::new()
                })
            }),
            p("oneOffExecutors", move || Value::List(one_off)),
            p("temporarilyOffline", move || Value::Bool(temporarily)),
        ]],
    })
}

/// Builds running on the built-in node and what each occupies: a pipeline holds an
/// executor only inside its `node {}` block (not while it waits for input), and every
/// running pipeline, wherever its `node {}` blocks run, holds a one-off (flyweight)
/// executor of the built-in node (a `WorkflowJob`'s assigned label is the built-in
/// node's own).
pub(super) fn builtin_work(ctx: Ctx<'_>) -> (Vec<Occupant>, Vec<(String, u64)>) {
    let mut occupants = Vec::new();
    let mut one_off = Vec::new();
    for (full, kind, j) in ctx.world.jobs() {
        for b in j.builds.iter().filter(|b| b.building()) {
            let here = b.built_on.is_empty();
            match kind {
                JobKind::Pipeline => {
                    if b.input.is_none() && here {
                        occupants.push(Occupant::Placeholder);
                    }
                    one_off.push((full.clone(), b.number));
                }
                JobKind::Freestyle | JobKind::Matrix if here => occupants.push(Occupant::Build {
                    class: build_class(kind),
                    number: b.number,
                    url: format!("{}{}{}/", ctx.root, item_path(&full), b.number),
                }),
                JobKind::Freestyle | JobKind::Matrix => {}
            }
        }
    }
    (occupants, one_off)
}

/// Busy executors of the built-in node.
pub(super) fn builtin_busy(ctx: Ctx<'_>) -> u32 {
    (builtin_work(ctx).0.len() as u32).min(ctx.world.controller.num_executors)
}

/// The built-in node's label, `built-in`.
pub(super) fn builtin_label(ctx: Ctx<'_>) -> Value<'_> {
    let total = ctx.world.controller.num_executors;
    label_atom(ctx, "built-in".into(), builtin_busy(ctx), total, None)
}

/// The computer set (`/computer/api/json`).
pub fn computers(ctx: Ctx<'_>) -> Bean<'_> {
    let w = ctx.world;
    let builtin_total = w.controller.num_executors;
    let builtin_busy = builtin_busy(ctx);
    let online_agents = || w.agents.iter().filter(|a| !a.offline);
    let busy: u32 = builtin_busy
        + online_agents()
            .map(|a| a.busy.min(a.executors))
            .sum::<u32>();
    let total: u32 = builtin_total + online_agents().map(|a| a.executors).sum::<u32>();
    Bean {
        class: Cow::Borrowed("hudson.model.ComputerSet"),
        show_class: true,
        sections: vec![vec![
            p("busyExecutors", move || Value::Int(busy.into())),
            p("computer", move || {
                let (occupants, one_off) = builtin_work(ctx);
                let one_off = one_off
                    .into_iter()
                    .map(|(full, n)| {
                        let url = format!("{}{}{}/", ctx.root, item_path(&full), n);
                        executor(
                            -1,
                            Some(Occupant::Build {
                                class: class::WORKFLOW_RUN,
                                number: n,
                                url,
                            }),
                        )
                    })
                    .collect();
                let mut list = vec![computer(ComputerSpec {
                    class: "hudson.model.Hudson$MasterComputer",
                    display: "Built-In Node".into(),
                    description: Some("the Jenkins controller's built-in node".into()),
                    labels: vec![builtin_label(ctx)],
                    total: builtin_total,
                    occupants,
                    one_off,
                    offline: false,
                    reason: None,
                    temporarily: false,
                    now: ctx.now,
                })];
                let mut agents: Vec<&Agent> = w.agents.iter().collect();
                agents.sort_by(|a, b| a.name.cmp(&b.name));
                list.extend(agents.into_iter().map(|a| {
                    let busy = if a.offline {
                        0
                    } else {
                        a.busy.min(a.executors)
                    };
                    let labels = std::iter::once(a.name.clone())
                        .chain(a.labels.iter().cloned())
                        .map(|l| label_atom(ctx, l, busy, a.executors, Some(a.name.clone())))
                        .collect();
                    computer(ComputerSpec {
                        class: "hudson.slaves.SlaveComputer",
                        display: a.name.clone(),
                        description: None,
                        labels,
                        total: a.executors,
                        occupants: (0..busy).map(|_| Occupant::Placeholder).collect(),
                        one_off: vec![],
                        offline: a.offline,
                        reason: a.offline_reason.clone(),
                        temporarily: a.temporarily_offline,
                        now: ctx.now,
                    })
                }));
                Value::List(list)
            })
            .inline(),
            p("displayName", || s("Nodes")),
            p("totalExecutors", move || Value::Int(total.into())),
        ]],
    }
}
