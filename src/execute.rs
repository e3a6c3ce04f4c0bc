//! Running one GraphQL request for one caller, the way every transport does it (`/graphql`
//! over HTTP and WebSocket, MCP over HTTP and stdio): the caller's turn among
//! `max_concurrent_queries`, loaders for only the connections it may see, its budget
//! (upstream rate, forwarded credentials, the request's span or the caller's trace
//! context), the guard, the schema, the shaping of its answer, and the request's
//! telemetry. Subscriptions (WebSocket, SSE) pass the same guard and shaping.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Data, Response, ServerError};
use axum::http::HeaderMap;
use futures::stream::{BoxStream, StreamExt as _};
use tokio::sync::Semaphore;

use crate::error::GatewayError;
use crate::gateway::GatewayState;
use crate::guard::auth::Caller;
use crate::guard::{label_errors, server_error, Guard};
use crate::jenkins::QueryBudget;
use crate::loaders::Loaders;
use crate::schema::{build_schema, MajordomoSchema, Shape};
use crate::telemetry::graphql::QueryTelemetry;

/// The schema over a gateway, its guard, the shaping of its answers and the admission of
/// its queries; cheap to clone.
#[derive(Clone)]
pub(crate) struct Executor {
    gateway: GatewayState,
    schema: MajordomoSchema,
    guard: Arc<Guard>,
    shape: Arc<Shape>,
    /// Admission of queries (`max_concurrent_queries`), when limited.
    admission: Option<Arc<Semaphore>>,
    /// Admission of heavy queries (`limits.max_concurrent_heavy_queries`), when limited.
    heavy: Option<Arc<Semaphore>>,
}

/// An admitted request's document, operation and estimated upstream requests.
struct Admitted {
    doc: ExecutableDocument,
    operation: Option<String>,
    estimate: u64,
}

/// What is left to record of a query once the size of its answer is known.
pub(crate) struct QueryFinish {
    telemetry: Arc<QueryTelemetry>,
    budget: Arc<QueryBudget>,
    /// A heavy query's turn, held until its answer is sent.
    _turn: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl QueryFinish {
    fn new(
        telemetry: Arc<QueryTelemetry>,
        budget: Arc<QueryBudget>,
        turn: Option<tokio::sync::OwnedSemaphorePermit>,
    ) -> Self {
        QueryFinish {
            telemetry,
            budget,
            _turn: turn,
        }
    }

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
        let config = gateway.config();
        let guard = Guard::new(config.limits.clone(), gateway.connection_count())
            .introspection(config.introspection)
            .trusted(gateway.trusted());
        let shape = Arc::new(Shape::new(&schema));
        let limit = config.max_concurrent_queries;
        let admission = (limit > 0).then(|| Arc::new(Semaphore::new(limit)));
        let heavy = config
            .limits
            .heavy_queries()
            .map(|n| Arc::new(Semaphore::new(n)));
        Executor {
            gateway,
            schema,
            guard: Arc::new(guard),
            shape,
            admission,
            heavy,
        }
    }

    /// A turn for an admitted query: none needed unless it is heavy; a heavy one waits
    /// for one of `max_concurrent_heavy_queries` up to the query's deadline, so a burst of
    /// large answers holds only so many in memory at once.
    async fn heavy_turn(
        &self,
        admitted: &Admitted,
    ) -> Result<Option<tokio::sync::OwnedSemaphorePermit>, ServerError> {
        let limits = &self.gateway.config().limits;
        let Some(heavy) = &self.heavy else {
            return Ok(None);
        };
        if admitted.estimate < limits.heavy_query_estimate {
            return Ok(None);
        }
        let turn = heavy.clone().acquire_owned();
        let permit = if limits.query_timeout_ms > 0 {
            let wait = std::time::Duration::from_millis(limits.query_timeout_ms);
            tokio::time::timeout(wait, turn).await.ok()
        } else {
            Some(turn.await)
        };
        match permit {
            // The semaphore is never closed.
            Some(permit) => Ok(permit.ok()),
            None => Err(server_error(&GatewayError::Overloaded(
                "every turn for heavy queries stayed taken",
            ))),
        }
    }

    /// Admit `req` for `caller` ([`Guard::admit`]), or the error that refuses it;
    /// `telemetry` learns the operation once the document parses.
    fn admit(
        &self,
        req: &mut async_graphql::Request,
        caller: &Caller,
        telemetry: Option<&QueryTelemetry>,
    ) -> Result<Admitted, ServerError> {
        let operation = req.operation_name.clone();
        let parsed = |doc: &ExecutableDocument| {
            if let Some(t) = telemetry {
                t.observe(doc, operation.as_deref());
            }
        };
        let (doc, estimate) = self.guard.admit(req, caller, parsed)?;
        Ok(Admitted {
            doc,
            operation,
            estimate,
        })
    }

    /// `response` shaped as the spec says, every error with a code.
    fn finish(&self, mut response: Response, admitted: &Admitted) -> Response {
        self.shape
            .finish(&mut response, &admitted.doc, admitted.operation.as_deref());
        label_errors(&mut response);
        response
    }

    /// The gateway it runs over.
    pub(crate) fn gateway(&self) -> &GatewayState {
        &self.gateway
    }

    /// Run a subscription (or any request, as a stream) for `caller`, with the session's
    /// `session` data: admitted by the guard, each answer shaped.
    pub(crate) fn stream(
        &self,
        mut req: async_graphql::Request,
        caller: Caller,
        session: Arc<Data>,
    ) -> BoxStream<'static, Response> {
        let admitted = match self.admit(&mut req, &caller, None) {
            Ok(admitted) => admitted,
            Err(e) => {
                let refused = refusal(e);
                return futures::stream::once(async { refused }).boxed();
            }
        };
        let loaders = Loaders::for_query(
            &self.gateway,
            |name| caller.may_see(name),
            |budget| caller.budget(budget),
        );
        let this = self.clone();
        self.schema
            .execute_stream_with_session_data(req.data(loaders).data(caller), session)
            .map(move |response| this.finish(response, &admitted))
            .boxed()
    }

    /// Run one GraphQL request for `caller`, traced as `headers` say; the caller records
    /// it with [`QueryFinish::done`] once it knows the size of the answer it sends.
    pub(crate) async fn run(
        &self,
        mut req: async_graphql::Request,
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
        let span = telemetry.span().cloned();
        let trace_context = telemetry.forwarded().clone();
        tracing::debug!(caller = caller.name(), "graphql request");
        let mut admit = || self.admit(&mut req, &caller, Some(&telemetry));
        let admitted = match &span {
            Some(span) => span.in_scope(admit),
            None => admit(),
        };
        let admitted = match admitted {
            Ok(admitted) => self
                .heavy_turn(&admitted)
                .await
                .map(|turn| (admitted, turn)),
            Err(e) => Err(e),
        };
        let (admitted, turn) = match admitted {
            Ok(admitted) => admitted,
            Err(e) => {
                let budget = Arc::new(QueryBudget::unlimited());
                return (refusal(e), QueryFinish::new(telemetry, budget, None));
            }
        };
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
        let response = match &span {
            Some(span) => span.scope(self.schema.execute(req)).await,
            None => self.schema.execute(req).await,
        };
        let response = self.finish(response, &admitted);
        (response, QueryFinish::new(telemetry, budget, turn))
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

/// The answer that refuses a request with `e`.
fn refusal(e: ServerError) -> Response {
    let mut refused = Response::from_errors(vec![e]);
    label_errors(&mut refused);
    refused
}
