//! Errors become `null` where the schema allows it, as the GraphQL spec says.
//!
//! async-graphql 7 leaves an errored field out of `data` altogether. A dashboard then
//! cannot tell "this build has no stages field" from "its controller failed". This
//! extension resolves every errored nullable field to `null` and keeps its error (with
//! the field's path) in `errors`; errors of non-null fields still propagate to the parent.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextResolve, ResolveInfo,
};
use async_graphql::{Response, ServerError, ServerResult, Value};

/// Factory of the per-request extension.
pub(crate) struct NullOnError;

impl ExtensionFactory for NullOnError {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(NullOnErrorExt::default())
    }
}

#[derive(Default)]
struct NullOnErrorExt {
    errors: Mutex<Vec<ServerError>>,
}

#[async_trait::async_trait]
impl Extension for NullOnErrorExt {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        let extra = std::mem::take(&mut *self.errors.lock().unwrap_or_else(|e| e.into_inner()));
        resp.errors.extend(extra);
        resp
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let nullable = !info.return_type.ends_with('!');
        match next.run(ctx, info).await {
            // The error already carries the field's path (async-graphql sets it).
            Err(e) if nullable => {
                self.errors
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(e);
                Ok(Some(Value::Null))
            }
            other => other,
        }
    }
}
