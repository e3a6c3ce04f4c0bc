//! Running one GraphQL request for one caller, the way every transport does it (`/graphql`
//! over HTTP and WebSocket, MCP over HTTP and stdio): the caller's turn among
//! `max_concurrent_queries`, loaders for only the connections it may see, its budget
//! (upstream rate, forwarded credentials, the request's span or the caller's trace
//! context), the schema with its guard, and the request's telemetry.

use std::sync::Arc;

use axum::http::HeaderMap;
use tokio::sync::Semaphore;
use tracing::Instrument as _;

use crate::gateway::GatewayState;
use crate::guard::auth::Caller;
use crate::jenkins::QueryBudget;
use crate::loaders::Loaders;
use crate::schema::{build_schema, MajordomoSchema};
use crate::telemetry::graphql::QueryTelemetry;

/// The schema over a gateway and the admission of its queries; cheap to clone.
#[derive(Clone)]
pub(crate) struct Executor {
    gateway: GatewayState,
    schema: MajordomoSchema,
    /// Admission of queries (`max_concurrent_queries`), when limited.
    admission: Option<Arc<Semaphore>>,
}

/// What is left to record of a query once the size of its answer is known.
pub(crate) struct QueryFinish {
    telemetry: Arc<QueryTelemetry>,
    budget: Arc<QueryBudget>,
}

impl QueryFinish {
    /// Record the query's metrics and close its span, its answer being `bytes` long.
    pub(crate) fn done(
        self,
        gateway: &GatewayState,
        response: &async_graphql::Response,
        bytes: usize,
    ) {
        let config = &gateway.config().telemetry;
        self.telemetry
            .finish(gateway.metrics(), config, response, bytes, &self.budget);
    }
}

impl Executor {
    /// The schema and admission of `gateway`.
    pub(crate) fn new(gateway: GatewayState) -> Self {
        let schema = build_schema(gateway.clone());
        let limit = gateway.config().max_concurrent_queries;
        let admission = (limit > 0).then(|| Arc::new(Semaphore::new(limit)));
        Executor {
            gateway,
            schema,
            admission,
        }
    }

    /// The gateway it runs over.
    pub(crate) fn gateway(&self) -> &GatewayState {
        &self.gateway
    }

    /// The schema (subscriptions stream from it directly).
    pub(crate) fn schema(&self) -> &MajordomoSchema {
        &self.schema
    }

    /// Run one GraphQL request for `caller`, traced as `headers` say; the caller records
    /// it with [`QueryFinish::done`] once it knows the size of the answer it sends.
    pub(crate) async fn run(
        &self,
        req: async_graphql::Request,
        caller: Caller,
        headers: &HeaderMap,
    ) -> (async_graphql::Response, QueryFinish) {
        // The semaphore is never closed, so acquiring only fails if it were.
        let _permit = match &self.admission {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        };
        let config = &self.gateway.config().telemetry;
        let telemetry = QueryTelemetry::start(headers, &req.variables, config);
        let span = telemetry.span().clone();
        let trace_context = telemetry.forwarded().clone();
        tracing::debug!(caller = caller.name(), "graphql request");
        let loaders = Loaders::for_query(
            &self.gateway,
            |name| caller.may_see(name),
            |budget| {
                caller
                    .budget(budget)
                    .with_span(span.clone())
                    .with_trace_context(trace_context)
            },
        );
        let budget = Arc::clone(loaders.budget());
        let req = req.data(loaders).data(caller).data(Arc::clone(&telemetry));
        let response = self.schema.execute(req).instrument(span).await;
        (response, QueryFinish { telemetry, budget })
    }

    /// Run one GraphQL request for `caller` that no HTTP request carries (a WebSocket
    /// message, an MCP tool call), recording its size as the JSON it makes.
    pub(crate) async fn execute(
        &self,
        req: async_graphql::Request,
        caller: Caller,
    ) -> async_graphql::Response {
        let (response, finish) = self.run(req, caller, &HeaderMap::new()).await;
        let size = serde_json::to_vec(&response).map_or(0, |v| v.len());
        finish.done(&self.gateway, &response, size);
        response
    }
}
