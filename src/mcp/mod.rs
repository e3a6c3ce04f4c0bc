//! The Model Context Protocol server: the fleet as tools and resources for AI assistants,
//! on Streamable HTTP at `/mcp` (stateless, JSON responses, on the main listener) and on
//! stdio (`majordomo mcp`), built on the official Rust SDK (`rmcp`). It speaks protocol
//! revision 2026-07-28 and, for clients that still open with `initialize`, every earlier
//! revision the SDK knows (2025-11-25 back to 2024-11-05).
//!
//! Every tool is a thin layer over the GraphQL schema: it runs one of the documents in
//! `documents/` through the same executor as `/graphql` (`ask.rs`), so the caller's key,
//! scope, rate limits, the guard's limits, the planner and the cache all apply, and no
//! second path to Jenkins exists. Answers are compact JSON cut to a byte budget (`fit.rs`).

mod args;
mod ask;
mod builds;
mod fit;
mod fleet;
mod reply;
mod resolve;
mod resources;
mod tools;

use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, Implementation, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};

use crate::execute::Executor;
use crate::gateway::GatewayState;
use crate::guard::auth::Caller;
use ask::Asker;

/// What the server tells an assistant when it connects.
const INSTRUCTIONS: &str = "Majordomo answers questions about every Jenkins controller it \
fronts. Start with fleet_health or list_connections for the big picture; failing_jobs and \
build_queue cover the fleet; job_details, build_details, build_log and pipeline_run take a \
job by its name (`api-server`), resolved across controllers, or its full name with \
`connection`. Answers are compact JSON sized to a budget: when one is cut it says \
`truncated` and `next` says how to ask for the rest. Errors are results too: a controller \
that is down is reported with its code and a hint, and the other controllers still answer.";

/// The MCP server over a gateway: one per transport; cheap to clone.
#[derive(Clone)]
pub(crate) struct McpServer {
    executor: Executor,
    /// The caller of every request (stdio); over HTTP each request brings its own.
    caller: Option<Caller>,
    max_result_bytes: usize,
    max_resource_bytes: usize,
}

impl McpServer {
    fn new(executor: Executor, caller: Option<Caller>) -> Self {
        let mcp = &executor.gateway().config().mcp;
        McpServer {
            max_result_bytes: mcp.max_result_bytes,
            max_resource_bytes: mcp.max_resource_bytes,
            caller,
            executor,
        }
    }

    /// Who asks: the transport's fixed caller, or the one `server::access` authenticated
    /// for this HTTP request.
    fn asker(&self, context: &RequestContext<RoleServer>) -> Result<Asker, McpError> {
        let caller = match &self.caller {
            Some(caller) => Some(caller.clone()),
            None => context
                .extensions
                .get::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Caller>())
                .cloned(),
        };
        caller
            .map(|c| Asker::new(self.executor.clone(), c))
            .ok_or_else(|| {
                McpError::internal_error("the request has no authenticated caller", None)
            })
    }
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("majordomo", env!("CARGO_PKG_VERSION")))
        .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools::list()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let asker = self.asker(&context)?;
        let name = request.name.clone();
        let reply = tools::call(&asker, &name, request.arguments, self.max_result_bytes)
            .await
            .ok_or_else(|| {
                McpError::invalid_params(format!("no tool is named {name:?}; see tools/list"), None)
            })?;
        tracing::debug!(tool = %name, error = reply.is_error(), "mcp tool call");
        Ok(reply.into_result(self.max_result_bytes).into())
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        Ok(ListResourcesResult::with_all_items(resources::list()))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let asker = self.asker(&context)?;
        match resources::read(&asker, &request.uri, self.max_resource_bytes).await {
            Ok(contents) => Ok(ReadResourceResult::new(vec![contents]).into()),
            Err(reply) => {
                let error = reply.answer()["error"].clone();
                let message = error["message"].as_str().unwrap_or("not found").to_string();
                Err(McpError::resource_not_found(message, Some(error)))
            }
        }
    }
}

/// The Streamable HTTP service mounted at `/mcp`: stateless (any replica answers any
/// request), JSON responses, bodies bounded like `/graphql`'s. The caller must already be
/// on the request (`server::access::authenticate_mcp`).
pub(crate) fn http_service(
    executor: Executor,
) -> StreamableHttpService<McpServer, NeverSessionManager> {
    let config = executor.gateway().config();
    let mut http = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(config.limits.max_request_bytes);
    if !config.mcp.allowed_hosts.is_empty() {
        http = http.with_allowed_hosts(config.mcp.allowed_hosts.clone());
    } else if executor.gateway().access().is_required() {
        // Every request needs a key or token: a rebound DNS name gains nothing.
        http = http.disable_allowed_hosts();
    }
    let server = McpServer::new(executor, None);
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(NeverSessionManager::default()),
        http,
    )
}

/// Why `majordomo mcp` stopped.
#[derive(Debug, thiserror::Error)]
pub enum McpServeError {
    /// The API key given to `majordomo mcp` is not valid.
    #[error("the API key given for `majordomo mcp` is not valid")]
    BadKey,
    /// The protocol failed on stdio.
    #[error("MCP on stdio: {0}")]
    Protocol(String),
}

/// Serve MCP on stdin/stdout until the client closes it. With `key`, every request has that
/// API key's scope and limits; without, the operator's: every configured connection.
pub async fn serve_stdio(gateway: GatewayState, key: Option<&str>) -> Result<(), McpServeError> {
    let caller = match key {
        Some(key) => {
            let mut headers = axum::http::HeaderMap::new();
            let value = axum::http::HeaderValue::from_str(&format!("Bearer {key}"))
                .map_err(|_| McpServeError::BadKey)?;
            headers.insert(axum::http::header::AUTHORIZATION, value);
            gateway
                .access()
                .authenticate(&headers)
                .await
                .map_err(|_| McpServeError::BadKey)?
        }
        None => Caller::operator(),
    };
    let server = McpServer::new(Executor::new(gateway), Some(caller));
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpServeError::Protocol(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| McpServeError::Protocol(e.to_string()))?;
    Ok(())
}
