//! Realisation: plans become items, and the world is finished around them.

use rand::Rng;

use super::generator::Gen;
use super::plan::{Node, QueuePlan};
use super::queue::{collect_builds, left_items};
use crate::world::{join_full_name, ControllerInfo, FolderKind, Item, JobKind, User, World};

impl Gen {
    /// Realise the plans and fill in what spans the whole world.
    pub(super) fn finish(
        mut self,
        controller: ControllerInfo,
        users: Vec<User>,
        nodes: Vec<Node>,
        queue: Vec<QueuePlan>,
    ) -> World {
        let items = self.realize(nodes, "");
        let mut world = World {
            controller,
            users,
            items,
            queue: Vec::new(),
            left_items: Vec::new(),
            agents: Vec::new(),
        };
        world.queue = self.queue_items(&world, queue);
        world.agents = std::mem::take(&mut self.agents);
        self.assign_queue_ids(&mut world);
        world.left_items = left_items(&world, self.now);
        world.normalize();
        world
    }

    /// Realise more plans into a finished world, after all it holds, so that what was
    /// there stays exactly as it was: new items at the root, queue ids for their builds
    /// after the world's own (in the order the builds started), the left items again.
    pub(super) fn extend(mut self, world: &mut World, nodes: Vec<Node>) {
        self.agents = std::mem::take(&mut world.agents);
        let mut items = self.realize(nodes, "");
        world.agents = std::mem::take(&mut self.agents);
        let mut builds = Vec::new();
        collect_builds(&mut items, &mut builds);
        builds.sort_by_key(|b| b.timestamp);
        let mut id = world.controller.next_queue_id;
        for b in builds {
            b.queue_id = id;
            id += self.rng.gen_range(1..=2);
        }
        world.controller.next_queue_id = id;
        world.items.extend(items);
        world.left_items = left_items(world, self.now);
        world.normalize();
    }

    pub(super) fn realize(&mut self, nodes: Vec<Node>, prefix: &str) -> Vec<Item> {
        nodes
            .into_iter()
            .map(|node| match node {
                Node::Folder {
                    kind,
                    mut folder,
                    children,
                } => {
                    let full = join_full_name(prefix, &folder.name);
                    folder.items = self.realize(children, &full);
                    match kind {
                        FolderKind::Folder => Item::Folder(folder),
                        FolderKind::Multibranch => Item::Multibranch(folder),
                        FolderKind::Organization => Item::Organization(folder),
                    }
                }
                Node::Job(plan) => {
                    let full = join_full_name(prefix, &plan.job.name);
                    let builds = self.builds(&full, &plan);
                    let kind = plan.kind;
                    let mut job = plan.job;
                    job.builds = builds;
                    match kind {
                        JobKind::Freestyle => Item::Freestyle(job),
                        JobKind::Pipeline => Item::Pipeline(job),
                        JobKind::Matrix => Item::Matrix(job),
                    }
                }
            })
            .collect()
    }
}
