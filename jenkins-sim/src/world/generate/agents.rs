//! Agents of a generated controller, and which node a build ran on.

use rand::Rng;

use super::generator::Gen;
use crate::world::Agent;

impl Gen {
    pub(super) fn random_agents(&mut self, n: usize, offline: usize) -> Vec<Agent> {
        let (mut linux, mut windows, mut mac) = (0, 0, 0);
        let mut agents = Vec::with_capacity(n);
        for i in 0..n {
            let (name, labels, executors): (String, Vec<&str>, u32) = match i % 10 {
                8 => {
                    windows += 1;
                    (
                        format!("windows-{windows}"),
                        vec!["windows"],
                        self.rng.gen_range(1..=2),
                    )
                }
                9 => {
                    mac += 1;
                    (format!("mac-{mac}"), vec!["macos", "xcode"], 1)
                }
                _ => {
                    linux += 1;
                    let mut l = vec!["linux", "docker"];
                    if self.chance(0.3) {
                        l.push("java17");
                    }
                    (format!("linux-{linux}"), l, self.rng.gen_range(2..=4))
                }
            };
            agents.push(Agent {
                name,
                labels: labels.into_iter().map(str::to_string).collect(),
                executors,
                busy: 0,
                offline: false,
                offline_reason: None,
                temporarily_offline: false,
            });
        }
        // Spread the offline agents over the list, from its end.
        let step = n.checked_div(offline).unwrap_or(0);
        for j in 0..offline {
            let i = n - 1 - j * step;
            let temporarily = j % 2 == 0;
            let reason = if temporarily {
                let why = self.pick(&[
                    "disk full, cleaning up",
                    "kernel upgrade",
                    "investigating a flaky docker daemon",
                ]);
                format!("Disconnected by {} : {why}", self.dev())
            } else {
                "Connection was broken: java.nio.channels.ClosedChannelException".to_string()
            };
            let a = &mut agents[i];
            a.offline = true;
            a.offline_reason = Some(reason);
            a.temporarily_offline = temporarily;
        }
        agents
    }

    /// A node for a build: an agent matching the job's label (with a free executor if
    /// the build is running), or the built-in node.
    pub(super) fn node_for(&mut self, label: Option<&str>, running: bool) -> String {
        let fits = |a: &Agent| match label {
            Some(l) => a.labels.iter().any(|x| x == l),
            None => a.labels.iter().any(|x| x == "linux"),
        };
        let candidates: Vec<usize> = (0..self.agents.len())
            .filter(|&i| fits(&self.agents[i]))
            .filter(|&i| {
                !running
                    || (!self.agents[i].offline && self.agents[i].busy < self.agents[i].executors)
            })
            .collect();
        if candidates.is_empty() {
            // A label nobody has: the node that built it is gone.
            return match (label, running) {
                (Some(l), false) => format!("{l}-1"),
                _ => String::new(),
            };
        }
        let i = candidates[self.rng.gen_range(0..candidates.len())];
        if running {
            self.agents[i].busy += 1;
        }
        self.agents[i].name.clone()
    }
}
