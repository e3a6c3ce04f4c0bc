//! The guard: who may ask, and what a request may cost, before the schema executes anything.
//!
//! Who may ask is decided by the transport before a body is read, with the rules of
//! [`auth`] (API keys, identity-provider tokens through [`jwt`], scopes, the rates of
//! [`rate`]) and [`cors`]; the resulting [`auth::Caller`] rides on the GraphQL request, and
//! `schema/load.rs` shows each caller only the connections in its scope.
//!
//! What a request may cost is checked by extensions, so every transport that runs the
//! schema passes through them: [`trusted`] documents first; then the document is scanned and
//! measured ([`document`]) before it is parsed and validated, a read-only request (GET) is
//! refused anything but a query, its cost to Jenkins is estimated by the planner over the
//! connections the caller sees and refused above the budget, and every error that leaves
//! without a code gets one, so a client can always branch on `extensions.code`.

pub(crate) mod auth;
pub(crate) mod cors;
pub(crate) mod document;
pub(crate) mod jwt;
pub(crate) mod rate;
pub(crate) mod trusted;

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
    NextValidation,
};
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{
    ErrorExtensions, Request, Response, ServerError, ServerResult, ValidationResult, Variables,
};

use crate::config::LimitsConfig;
use crate::error::GatewayError;
use crate::planner::cost::Estimate;
use auth::Caller;

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

/// Factory of the per-request guard.
pub(crate) struct Guard {
    limits: Arc<LimitsConfig>,
    connections: u64,
    introspection: bool,
}

impl Guard {
    /// A guard enforcing `limits` for a gateway over `connections` controllers.
    pub(crate) fn new(limits: LimitsConfig, connections: usize) -> Self {
        Guard {
            limits: Arc::new(limits),
            connections: connections as u64,
            introspection: true,
        }
    }

    /// The same guard, refusing `__schema` and `__type` unless `allowed`.
    pub(crate) fn introspection(mut self, allowed: bool) -> Self {
        self.introspection = allowed;
        self
    }
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

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExt {
            limits: Arc::clone(&self.limits),
            connections: self.connections,
            introspection: self.introspection,
            operation: Mutex::new(None),
        })
    }
}

struct GuardExt {
    limits: Arc<LimitsConfig>,
    connections: u64,
    introspection: bool,
    /// The operation the request names, for the estimate.
    operation: Mutex<Option<String>>,
}

impl GuardExt {
    fn operation(&self) -> Option<String> {
        self.operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Refuse a mutation in a read-only request (queries and subscriptions only read).
    fn check_read_only(&self, doc: &ExecutableDocument) -> Result<(), GatewayError> {
        let operation = self.operation();
        let mutates = match &doc.operations {
            DocumentOperations::Single(op) => op.node.ty == OperationType::Mutation,
            DocumentOperations::Multiple(ops) => ops
                .iter()
                .filter(|(name, _)| operation.as_deref().is_none_or(|o| o == name.as_str()))
                .any(|(_, op)| op.node.ty == OperationType::Mutation),
        };
        if mutates {
            return Err(GatewayError::MethodNotAllowed);
        }
        Ok(())
    }

    /// Refuse a document estimated to cost Jenkins more than the budget, counting only
    /// the connections the caller sees (none without a caller).
    fn check_cost(
        &self,
        doc: &ExecutableDocument,
        variables: &Variables,
        caller: Option<&Caller>,
    ) -> Result<(), GatewayError> {
        let operation = self.operation();
        let connections = caller.map_or(0, |c| c.visible_count(self.connections as usize)) as u64;
        let estimate = Estimate::new(doc, variables, connections, self.limits.assumed_list_size)
            .operation(operation.as_deref());
        let budget = self.limits.max_estimated_requests;
        if estimate > budget {
            return Err(GatewayError::QueryTooExpensive { estimate, budget });
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Extension for GuardExt {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        for e in &mut resp.errors {
            // Errors of our resolvers carry codes. What comes without one is async-graphql's:
            // before execution (an unknown operation name) or coercing an argument.
            let code = if e.path.is_empty() {
                "GRAPHQL_VALIDATION_FAILED"
            } else {
                "BAD_ARGUMENT"
            };
            *e = with_code(std::mem::replace(e, ServerError::new("", None)), code);
        }
        resp
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        document::scan(query, &self.limits).map_err(|e| server_error(&e))?;
        let doc = next
            .run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))?;
        document::measure(&doc, &self.limits).map_err(|e| server_error(&e))?;
        if !self.introspection && asks_introspection(&doc) {
            return Err(server_error(&GatewayError::IntrospectionDisabled));
        }
        if ctx.data_opt::<ReadOnly>().is_some() {
            self.check_read_only(&doc).map_err(|e| server_error(&e))?;
        }
        self.check_cost(&doc, variables, ctx.data_opt::<Caller>())
            .map_err(|e| server_error(&e))?;
        Ok(doc)
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *self.operation.lock().unwrap_or_else(|p| p.into_inner()) = request.operation_name.clone();
        next.run(ctx, request).await
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| with_code(e, "GRAPHQL_VALIDATION_FAILED"))
                .collect()
        })
    }
}
