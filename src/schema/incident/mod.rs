//! Incident answers above the single build: a pasted Jenkins URL resolved to its object,
//! deployments across controllers, where a commit went, a failing job's regression,
//! approvals waited for across the fleet, a build's failure in one field, stage trends,
//! flaky tests and DORA metrics.
//!
//! Modules: [`urls`] and [`rules`] (pure: URLs and `[[deployments]]` rules), [`history`]
//! and [`figures`] (pure: regressions, flaky tests, stage figures, DORA), and one file per
//! answer that loads what it needs through [`super::load`] and the planner's
//! [`crate::planner::incident`] trees: [`deploy`], [`commit`], [`regression`],
//! [`approvals`], [`failure`], [`trends`], [`dora`], [`resolve`].

pub(crate) mod approvals;
pub(crate) mod commit;
pub(crate) mod deploy;
pub(crate) mod dora;
pub(crate) mod failure;
pub(crate) mod figures;
pub(crate) mod history;
pub(crate) mod regression;
pub(crate) mod resolve;
pub(crate) mod rules;
pub(crate) mod trends;
pub(crate) mod urls;
