//! Running one GraphQL request for one caller, the way every transport does it (`/graphql`
//! over HTTP, MCP over HTTP and stdio): the caller's turn among `max_concurrent_queries`,
//! loaders for only the connections it may see, its budget (upstream rate, forwarded
//! credentials), and the schema with its guard.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::gateway::GatewayState;
use crate::guard::auth::Caller;
use crate::loaders::Loaders;
use crate::schema::{build_schema, MajordomoSchema};

/// The schema over a gateway and the admission of its queries; cheap to clone.
#[derive(Clone)]
pub(crate) struct Executor {
    gateway: GatewayState,
    schema: MajordomoSchema,
    /// Admission of queries (`max_concurrent_queries`), when limited.
    admission: Option<Arc<Semaphore>>,
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

    /// Run one GraphQL request for `caller`: only the connections it may see have
    /// loaders, and its budget carries its upstream rate and forwarded credentials.
    pub(crate) async fn execute(
        &self,
        req: async_graphql::Request,
        caller: Caller,
    ) -> async_graphql::Response {
        // The semaphore is never closed, so acquiring only fails if it were.
        let _permit = match &self.admission {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        };
        tracing::debug!(caller = caller.name(), "graphql request");
        let loaders = Loaders::for_query(
            &self.gateway,
            |name| caller.may_see(name),
            |budget| caller.budget(budget),
        );
        self.schema.execute(req.data(loaders).data(caller)).await
    }
}
