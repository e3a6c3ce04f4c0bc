//! The guard: what a request may cost, checked before the schema executes anything.
//!
//! It is an async-graphql extension, so every transport that runs the schema passes
//! through it: the document is scanned and measured ([`document`]) before it is parsed
//! and validated, its cost to Jenkins is estimated by the planner and refused above the
//! budget, and every error that leaves without a code gets one, so a client can always
//! branch on `extensions.code`.

pub(crate) mod document;

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
    NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{
    ErrorExtensions, Request, Response, ServerError, ServerResult, ValidationResult, Variables,
};

use crate::config::LimitsConfig;
use crate::error::GatewayError;
use crate::planner::cost::Estimate;

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
}

impl Guard {
    /// A guard enforcing `limits` for a gateway over `connections` controllers.
    pub(crate) fn new(limits: LimitsConfig, connections: usize) -> Self {
        Guard {
            limits: Arc::new(limits),
            connections: connections as u64,
        }
    }
}

impl ExtensionFactory for Guard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(GuardExt {
            limits: Arc::clone(&self.limits),
            connections: self.connections,
            operation: Mutex::new(None),
        })
    }
}

struct GuardExt {
    limits: Arc<LimitsConfig>,
    connections: u64,
    /// The operation the request names, for the estimate.
    operation: Mutex<Option<String>>,
}

impl GuardExt {
    /// Refuse a document estimated to cost Jenkins more than the budget.
    fn check_cost(
        &self,
        doc: &ExecutableDocument,
        variables: &Variables,
    ) -> Result<(), GatewayError> {
        let operation = self
            .operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let estimate = Estimate::new(
            doc,
            variables,
            self.connections,
            self.limits.assumed_list_size,
        )
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
        self.check_cost(&doc, variables)
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
