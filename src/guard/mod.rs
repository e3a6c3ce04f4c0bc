//! The guard: who may ask, and what a request may cost, before the schema executes anything.
//!
//! Who may ask is decided by the transport before a body is read, with the rules of
//! [`auth`] (API keys, identity-provider tokens through [`jwt`], scopes, the rates of
//! [`rate`]) and [`cors`]; the resulting [`auth::Caller`] rides on the GraphQL request, and
//! `schema/load.rs` shows each caller only the connections in its scope.
//!
//! What a request may cost is checked by [`Guard::admit`] before the schema sees the
//! request; every transport runs the schema through the executor, which calls it:
//! [`trusted`] documents first; then the document is scanned and measured ([`document`])
//! around its parsing, a read-only request (GET) is refused anything but a query, its cost
//! to Jenkins is estimated by the planner over the connections the caller sees and refused
//! above the budget. [`label_errors`] gives every error that leaves without a code one, so
//! a client can always branch on `extensions.code`. The guard is not an extension of the
//! schema: with none, async-graphql resolves each field without a chain of hooks (a boxed
//! future per extension per field, the largest cost of a large answer).

pub(crate) mod auth;
pub(crate) mod cors;
pub(crate) mod document;
pub(crate) mod jwt;
pub(crate) mod rate;
pub(crate) mod scope;
pub(crate) mod trusted;

use std::any::TypeId;
use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{ErrorExtensions, Request, Response, ServerError, Variables};

use crate::config::LimitsConfig;
use crate::error::GatewayError;
use crate::planner::cost::Estimate;
use auth::Caller;
use trusted::TrustedDocuments;

/// Marks a request that may only read: a GET, which a browser may send cross-site.
pub(crate) struct ReadOnly;

/// A [`GatewayError`] as a request-level GraphQL error (no path, no location).
pub(crate) fn server_error(e: &GatewayError) -> ServerError {
    let err = e.extend();
    ServerError {
        message: err.message,
        source: None,
        locations: Vec::new(),
        path: Vec::new(),
        extensions: err.extensions,
    }
}

/// Give `e` this code unless it has one.
fn with_code(mut e: ServerError, code: &'static str) -> ServerError {
    let ext = e.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    e
}

/// What a request may cost, checked before the schema runs anything.
pub(crate) struct Guard {
    limits: LimitsConfig,
    connections: u64,
    introspection: bool,
    /// The trusted documents, when there are any or a mode is set.
    trusted: Option<Arc<TrustedDocuments>>,
}

/// Whether any selection of the document (operations and fragments) is `__schema` or
/// `__type`. Nesting was bounded before parsing, so the recursion is too.
fn asks_introspection(doc: &ExecutableDocument) -> bool {
    fn set(s: &SelectionSet) -> bool {
        s.items.iter().any(|item| match &item.node {
            Selection::Field(f) => {
                matches!(f.node.name.node.as_str(), "__schema" | "__type")
                    || set(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => set(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => false,
        })
    }
    doc.operations
        .iter()
        .any(|(_, op)| set(&op.node.selection_set.node))
        || doc
            .fragments
            .values()
            .any(|f| set(&f.node.selection_set.node))
}

impl Guard {
    /// A guard enforcing `limits` for a gateway over `connections` controllers.
    pub(crate) fn new(limits: LimitsConfig, connections: usize) -> Self {
        Guard {
            limits,
            connections: connections as u64,
            introspection: true,
            trusted: None,
        }
    }

    /// The same guard, applying `docs` first (when they hold anything to check).
    pub(crate) fn trusted(mut self, docs: &Arc<TrustedDocuments>) -> Self {
        self.trusted = docs.is_active().then(|| Arc::clone(docs));
        self
    }

    /// The same guard, refusing `__schema` and `__type` unless `allowed`.
    pub(crate) fn introspection(mut self, allowed: bool) -> Self {
        self.introspection = allowed;
        self
    }

    /// Admit `request` for `caller`: the trusted documents, then the document scanned,
    /// parsed and measured, introspection, a read-only request's operation and the
    /// estimate. The parsed document goes on the request, so the schema does not parse it
    /// again, and is returned for what shapes the answer, with the estimate (upstream
    /// requests). `parsed` sees the document as soon as it parses, refused or not (for the
    /// request's telemetry).
    pub(crate) fn admit(
        &self,
        request: &mut Request,
        caller: &Caller,
        parsed: impl FnOnce(&ExecutableDocument),
    ) -> Result<(ExecutableDocument, u64), ServerError> {
        if let Some(trusted) = &self.trusted {
            trusted.check(request).map_err(|e| server_error(&e))?;
        }
        document::scan(&request.query, &self.limits).map_err(|e| server_error(&e))?;
        let doc = async_graphql::parser::parse_query(&request.query)
            .map_err(|e| with_code(ServerError::from(e), "GRAPHQL_PARSE_FAILED"))?;
        parsed(&doc);
        document::measure(&doc, &self.limits).map_err(|e| server_error(&e))?;
        if !self.introspection && asks_introspection(&doc) {
            return Err(server_error(&GatewayError::IntrospectionDisabled));
        }
        let operation = request.operation_name.as_deref();
        if request.data.contains_key(&TypeId::of::<ReadOnly>()) {
            check_read_only(&doc, operation).map_err(|e| server_error(&e))?;
        }
        let estimate = self
            .check_cost(&doc, &request.variables, operation, caller)
            .map_err(|e| server_error(&e))?;
        request.set_parsed_query(doc.clone());
        Ok((doc, estimate))
    }

    /// The estimate of a document's cost to Jenkins, counting only the connections the
    /// caller sees; refused above the budget.
    fn check_cost(
        &self,
        doc: &ExecutableDocument,
        variables: &Variables,
        operation: Option<&str>,
        caller: &Caller,
    ) -> Result<u64, GatewayError> {
        let connections = caller.visible_count(self.connections as usize) as u64;
        let estimate = Estimate::new(doc, variables, connections, self.limits.assumed_list_size)
            .operation(operation);
        let budget = self.limits.max_estimated_requests;
        if estimate > budget {
            return Err(GatewayError::QueryTooExpensive { estimate, budget });
        }
        Ok(estimate)
    }
}

/// Refuse a mutation in a read-only request (queries and subscriptions only read).
fn check_read_only(doc: &ExecutableDocument, operation: Option<&str>) -> Result<(), GatewayError> {
    let mutates = match &doc.operations {
        DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
        DocumentOperations::Multiple(ops) => ops
            .iter()
            .filter(|(name, _)| operation.is_none_or(|o| o == name.as_str()))
            .any(|(_, op)| op.node.ty == OperationType::Mutation),
    };
    if mutates {
        return Err(GatewayError::MethodNotAllowed);
    }
    Ok(())
}

/// Give every error of `response` that leaves without a code one. Errors of our resolvers
/// and of [`Guard::admit`] carry codes; what comes without one is async-graphql's: before
/// execution (validation, an unknown operation name) or coercing an argument.
pub(crate) fn label_errors(response: &mut Response) {
    for e in &mut response.errors {
        let code = if e.path.is_empty() {
            "GRAPHQL_VALIDATION_FAILED"
        } else {
            "BAD_ARGUMENT"
        };
        *e = with_code(std::mem::replace(e, ServerError::new("", None)), code);
    }
}
