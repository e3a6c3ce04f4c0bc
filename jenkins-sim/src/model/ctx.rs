//! What every bean builder needs (the world, the root URL, the clock), Jenkins' class
//! names, and how items are named and addressed.

use crate::world::{join_full_name, Item, World};

/// What every bean builder needs: the world, the controller's root URL and the clock.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    /// The world being served.
    pub world: &'a World,
    /// Absolute root URL, ending in `/` (e.g. `http://127.0.0.1:8081/`).
    pub root: &'a str,
    /// Now, epoch ms.
    pub now: i64,
}

/// Class names Jenkins prints.
pub mod class {
    /// Root.
    pub const HUDSON: &str = "hudson.model.Hudson";
    /// Freestyle job.
    pub const FREESTYLE: &str = "hudson.model.FreeStyleProject";
    /// Freestyle build.
    pub const FREESTYLE_BUILD: &str = "hudson.model.FreeStyleBuild";
    /// Pipeline job.
    pub const WORKFLOW_JOB: &str = "org.jenkinsci.plugins.workflow.job.WorkflowJob";
    /// Pipeline run.
    pub const WORKFLOW_RUN: &str = "org.jenkinsci.plugins.workflow.job.WorkflowRun";
    /// Matrix job.
    pub const MATRIX: &str = "hudson.matrix.MatrixProject";
    /// Matrix build.
    pub const MATRIX_BUILD: &str = "hudson.matrix.MatrixBuild";
    /// Folder.
    pub const FOLDER: &str = "com.cloudbees.hudson.plugins.folder.Folder";
    /// Multibranch project.
    pub const MULTIBRANCH: &str =
        "org.jenkinsci.plugins.workflow.multibranch.WorkflowMultiBranchProject";
    /// Organization folder.
    pub const ORGANIZATION: &str = "jenkins.branch.OrganizationFolder";
}

/// rawEncode one item name exactly as `hudson.Util.rawEncode` does.
pub fn raw_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"!$&'()*+,-.=@_".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Relative URL path of an item (`job/a/job/b/`), from its full name.
pub fn item_path(full_name: &str) -> String {
    let mut out = String::new();
    for name in crate::world::split_full_name(full_name) {
        out.push_str("job/");
        out.push_str(&raw_encode(name));
        out.push('/');
    }
    out
}

/// Display names of every ancestor and the item, joined by " » ".
pub(super) fn full_display_name(ctx: Ctx<'_>, full_name: &str) -> String {
    let mut names = Vec::new();
    let mut prefix = String::new();
    for name in crate::world::split_full_name(full_name) {
        prefix = join_full_name(&prefix, name);
        let display = ctx
            .world
            .item(&prefix)
            .and_then(|i| match i {
                Item::Folder(f) | Item::Multibranch(f) | Item::Organization(f) => {
                    f.display_name.clone()
                }
                Item::Freestyle(j) | Item::Pipeline(j) | Item::Matrix(j) => j.display_name.clone(),
            })
            .unwrap_or_else(|| name.to_string());
        names.push(display);
    }
    names.join(" » ")
}
