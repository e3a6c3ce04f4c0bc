//! Global IDs (every object can be fetched again with `node(id)`) and page cursors.
//!
//! Both are URL-safe base64 of a small JSON array, `["Build","prod","team/app",142]`,
//! so names may contain any character, including `:` and `/`; clients treat them as
//! opaque.

use async_graphql::ID;
use base64::Engine;
use serde_json::{json, Value};

/// What a global ID names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GlobalId {
    /// A connection.
    Connection(String),
    /// A folder (or multibranch project / organization).
    Folder(String, String),
    /// A job.
    Job(String, String),
    /// A build.
    Build(String, String, u32),
    /// A stage of a build.
    Stage(String, String, u32, String),
    /// A queue item.
    QueueItem(String, i64),
    /// An agent.
    Agent(String, String),
}

impl GlobalId {
    /// Encode as an opaque ID.
    pub(crate) fn encode(&self) -> ID {
        let v = match self {
            GlobalId::Connection(c) => json!(["Connection", c]),
            GlobalId::Folder(c, f) => json!(["Folder", c, f]),
            GlobalId::Job(c, j) => json!(["Job", c, j]),
            GlobalId::Build(c, j, n) => json!(["Build", c, j, n]),
            GlobalId::Stage(c, j, n, s) => json!(["Stage", c, j, n, s]),
            GlobalId::QueueItem(c, i) => json!(["QueueItem", c, i]),
            GlobalId::Agent(c, a) => json!(["Agent", c, a]),
        };
        ID(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string()))
    }

    /// Decode an ID made by [`GlobalId::encode`].
    pub(crate) fn decode(id: &str) -> Option<GlobalId> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(id)
            .ok()?;
        let v: Vec<Value> = serde_json::from_slice(&bytes).ok()?;
        let s = |i: usize| v.get(i).and_then(Value::as_str).map(str::to_string);
        let n = |i: usize| {
            v.get(i)
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
        };
        Some(match s(0)?.as_str() {
            "Connection" => GlobalId::Connection(s(1)?),
            "Folder" => GlobalId::Folder(s(1)?, s(2)?),
            "Job" => GlobalId::Job(s(1)?, s(2)?),
            "Build" => GlobalId::Build(s(1)?, s(2)?, n(3)?),
            "Stage" => GlobalId::Stage(s(1)?, s(2)?, n(3)?, s(4)?),
            "QueueItem" => GlobalId::QueueItem(s(1)?, v.get(2)?.as_i64()?),
            "Agent" => GlobalId::Agent(s(1)?, s(2)?),
            _ => return None,
        })
    }
}

/// Where a page ends, for `after` to go on from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cursor {
    /// After this job (connection, full name) of a job search.
    Job(String, String),
    /// After this build number of a job's builds.
    Build(u32),
}

impl Cursor {
    /// Encode as an opaque cursor.
    pub(crate) fn encode(&self) -> String {
        let v = match self {
            Cursor::Job(c, j) => json!(["job", c, j]),
            Cursor::Build(n) => json!(["build", n]),
        };
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    /// Decode a cursor made by [`Cursor::encode`].
    pub(crate) fn decode(cursor: &str) -> Option<Cursor> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()?;
        let v: Vec<Value> = serde_json::from_slice(&bytes).ok()?;
        let s = |i: usize| v.get(i).and_then(Value::as_str).map(str::to_string);
        Some(match s(0)?.as_str() {
            "job" => Cursor::Job(s(1)?, s(2)?),
            "build" => Cursor::Build(u32::try_from(v.get(1)?.as_u64()?).ok()?),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_with_hostile_names() {
        for gid in [
            GlobalId::Connection("prod:eu".into()),
            GlobalId::Job("prod".into(), "team a/feature%2Ffoo".into()),
            GlobalId::Build("p".into(), "x/\"y\"".into(), 142),
            GlobalId::Stage("p".into(), "x".into(), 1, "25".into()),
            GlobalId::QueueItem("p".into(), 64),
            GlobalId::Agent("p".into(), "".into()),
        ] {
            assert_eq!(GlobalId::decode(&gid.encode()), Some(gid));
        }
        assert_eq!(GlobalId::decode("not-base64!"), None);
    }

    #[test]
    fn cursors_round_trip() {
        for c in [Cursor::Job("prod".into(), "a/b".into()), Cursor::Build(142)] {
            assert_eq!(Cursor::decode(&c.encode()), Some(c));
        }
        assert_eq!(
            Cursor::decode(&GlobalId::Connection("x".into()).encode()),
            None
        );
    }
}
