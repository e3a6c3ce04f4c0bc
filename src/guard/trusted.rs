//! Trusted documents: operations known in advance by the SHA-256 of their text (a folder
//! of `.graphql` files or a manifest), so a production client can be locked to the queries
//! it ships. In `log` mode a document not in the list runs and is logged; in `enforce` mode
//! it is refused with `DOCUMENT_NOT_TRUSTED`.
//!
//! A request may send the hash alone, as Apollo's persisted queries do
//! (`extensions.persistedQuery.sha256Hash`) or as GraphQL over HTTP's `documentId`
//! (`sha256:<hex>`); the document it stands for is then run. The guard applies them first,
//! for every transport.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_graphql::{Request, Value};
use serde_json::Value as Json;

use super::auth::{hex, sha256};
use crate::config::{ConfigError, TrustedDocumentsConfig, TrustedMode};
use crate::error::GatewayError;

/// Deepest folder level searched for `.graphql` files.
const MAX_DEPTH: usize = 8;

/// The list of trusted documents and what to do with others.
#[derive(Debug, Default)]
pub(crate) struct TrustedDocuments {
    mode: TrustedMode,
    by_hash: HashMap<String, Arc<str>>,
}

fn invalid(path: &Path, detail: impl Into<String>) -> ConfigError {
    ConfigError::TrustedDocuments {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

impl TrustedDocuments {
    /// Read the folder and the manifest of `config`.
    pub(crate) fn load(config: &TrustedDocumentsConfig) -> Result<Self, ConfigError> {
        let mut docs = TrustedDocuments {
            mode: config.mode,
            by_hash: HashMap::new(),
        };
        if let Some(dir) = &config.dir {
            docs.read_dir(dir, 0)?;
        }
        if let Some(path) = &config.manifest {
            docs.read_manifest(path)?;
        }
        if docs.mode != TrustedMode::Off {
            tracing::info!(mode = ?docs.mode, documents = docs.by_hash.len(), "trusted documents");
        }
        Ok(docs)
    }

    /// Whether there is anything to check or look up.
    pub(crate) fn is_active(&self) -> bool {
        self.mode != TrustedMode::Off || !self.by_hash.is_empty()
    }

    fn add(&mut self, body: String) {
        let hash = hex(&sha256(body.as_bytes()));
        self.by_hash.insert(hash, Arc::from(body));
    }

    fn read_dir(&mut self, dir: &Path, depth: usize) -> Result<(), ConfigError> {
        let entries = std::fs::read_dir(dir).map_err(|e| invalid(dir, e.to_string()))?;
        for entry in entries {
            let path = entry.map_err(|e| invalid(dir, e.to_string()))?.path();
            if path.is_dir() && depth < MAX_DEPTH {
                self.read_dir(&path, depth + 1)?;
            } else if path
                .extension()
                .is_some_and(|e| e == "graphql" || e == "gql")
            {
                let body =
                    std::fs::read_to_string(&path).map_err(|e| invalid(&path, e.to_string()))?;
                self.add(body);
            }
        }
        Ok(())
    }

    /// Apollo's manifest (`{"operations": [{"id", "body"}]}`) or `{"<sha256>": "<body>"}`;
    /// every hash must be that of its body.
    fn read_manifest(&mut self, path: &Path) -> Result<(), ConfigError> {
        let text = std::fs::read(path).map_err(|e| invalid(path, e.to_string()))?;
        let json: Json = serde_json::from_slice(&text).map_err(|e| invalid(path, e.to_string()))?;
        let pairs: Vec<(String, String)> = match &json {
            Json::Object(o) if o.contains_key("operations") => o["operations"]
                .as_array()
                .ok_or_else(|| invalid(path, "`operations` is not a list"))?
                .iter()
                .map(|op| {
                    let field =
                        |name: &str| op.get(name).and_then(Json::as_str).map(str::to_string);
                    field("id")
                        .zip(field("body"))
                        .ok_or_else(|| invalid(path, "an operation without `id` and `body`"))
                })
                .collect::<Result<_, _>>()?,
            Json::Object(o) => o
                .iter()
                .map(|(hash, body)| {
                    body.as_str()
                        .map(|b| (hash.clone(), b.to_string()))
                        .ok_or_else(|| {
                            invalid(path, format!("the document of {hash} is not a string"))
                        })
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(invalid(path, "not a JSON object")),
        };
        for (hash, body) in pairs {
            if hex(&sha256(body.as_bytes())) != hash.to_ascii_lowercase() {
                return Err(invalid(
                    path,
                    format!("{hash} is not the SHA-256 of its document"),
                ));
            }
            self.add(body);
        }
        Ok(())
    }

    /// Put the document a hash stands for into `request`, and refuse or log a document
    /// that is not trusted.
    pub(crate) fn check(&self, request: &mut Request) -> Result<(), GatewayError> {
        let given = requested_hash(request);
        if request.query.is_empty() {
            let Some(hash) = given else {
                return Ok(());
            };
            let body = self
                .by_hash
                .get(&hash)
                .ok_or(GatewayError::PersistedQueryNotFound)?;
            request.query = body.to_string();
            return Ok(());
        }
        let hash = hex(&sha256(request.query.as_bytes()));
        if given.is_some_and(|g| g != hash) {
            return Err(GatewayError::InvalidRequest(
                "the hash sent with the document is not its SHA-256".into(),
            ));
        }
        if self.by_hash.contains_key(&hash) {
            return Ok(());
        }
        match self.mode {
            TrustedMode::Off => Ok(()),
            TrustedMode::Log => {
                tracing::warn!(sha256 = %hash, operation = request.operation_name.as_deref().unwrap_or(""), "a document that is not trusted ran");
                Ok(())
            }
            TrustedMode::Enforce => {
                tracing::warn!(sha256 = %hash, operation = request.operation_name.as_deref().unwrap_or(""), "a document that is not trusted was refused");
                Err(GatewayError::DocumentNotTrusted { sha256: hash })
            }
        }
    }
}

/// The hash a request names: `extensions.persistedQuery.sha256Hash`, or the
/// `documentId` (`sha256:<hex>`) the transport put in `extensions`.
fn requested_hash(request: &Request) -> Option<String> {
    let ext = &request.extensions.0;
    let from_apq = match ext.get("persistedQuery") {
        Some(Value::Object(pq)) => match pq.get("sha256Hash") {
            Some(Value::String(h)) => Some(h.clone()),
            _ => None,
        },
        _ => None,
    };
    let from_id = match ext.get(DOCUMENT_ID) {
        Some(Value::String(id)) => Some(id.strip_prefix("sha256:").unwrap_or(id).to_string()),
        _ => None,
    };
    from_apq.or(from_id).map(|h| h.to_ascii_lowercase())
}

/// Where the transport puts a request's `documentId`.
pub(crate) const DOCUMENT_ID: &str = "documentId";

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(mode: TrustedMode, bodies: &[&str]) -> TrustedDocuments {
        let mut d = TrustedDocuments {
            mode,
            by_hash: HashMap::new(),
        };
        for b in bodies {
            d.add(b.to_string());
        }
        d
    }

    #[test]
    fn enforce_refuses_unknown_and_runs_known_by_hash() {
        let known = "{ connections { name } }";
        let d = docs(TrustedMode::Enforce, &[known]);
        assert!(d.check(&mut Request::new(known)).is_ok());
        let e = d
            .check(&mut Request::new("{ health { totals { jobs } } }"))
            .expect_err("unknown");
        assert_eq!(e.code(), "DOCUMENT_NOT_TRUSTED");
        // The hash alone, as `sha256sum` would print it for the file.
        let hash = hex(&sha256(known.as_bytes()));
        let mut by_hash = Request::new("");
        by_hash.extensions.0.insert(
            "persistedQuery".into(),
            Value::from_json(serde_json::json!({ "version": 1, "sha256Hash": hash }))
                .expect("value"),
        );
        d.check(&mut by_hash).expect("a known hash");
        assert_eq!(by_hash.query, known);
        let mut unknown = Request::new("");
        unknown.extensions.0.insert(
            DOCUMENT_ID.into(),
            Value::from(format!("sha256:{}", "0".repeat(64))),
        );
        assert_eq!(
            d.check(&mut unknown).map_err(|e| e.code()),
            Err("PERSISTED_QUERY_NOT_FOUND")
        );
        assert!(docs(TrustedMode::Log, &[])
            .check(&mut Request::new("{ a }"))
            .is_ok());
    }
}
