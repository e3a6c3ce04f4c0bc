//! The answer as the GraphQL spec shapes it, from what async-graphql built: errored
//! nullable fields as `null` ([`nulls`](super::nulls)), keys in the order of the selection
//! ([`order`](super::order)). Done once per answer, after execution, so no field pays a
//! hook while it resolves.

use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::Response;

use super::nulls::{self, FieldTypes};
use super::order::Order;
use super::MajordomoSchema;

/// What shapes the answers of one schema.
pub(crate) struct Shape {
    fields: FieldTypes,
}

impl Shape {
    /// The shape of the answers of `schema`.
    pub(crate) fn new(schema: &MajordomoSchema) -> Self {
        Shape {
            fields: FieldTypes::from_sdl(&schema.sdl()),
        }
    }

    /// Shape `response`, the answer to the operation `operation` (by name; `None`: the
    /// only one) of `doc`.
    pub(crate) fn finish(
        &self,
        response: &mut Response,
        doc: &ExecutableDocument,
        operation: Option<&str>,
    ) {
        let op = match operation {
            Some(name) => doc
                .operations
                .iter()
                .find(|(o, _)| o.is_some_and(|o| o.as_str() == name)),
            None => doc.operations.iter().next(),
        };
        let Some((_, op)) = op else {
            return;
        };
        let root = match op.node.ty {
            OperationType::Query => self.fields.query.as_str(),
            OperationType::Subscription => self.fields.subscription.as_str(),
            OperationType::Mutation => "",
        };
        let order = Order::new(doc);
        let sets = [&op.node.selection_set.node];
        nulls::fill(
            &mut response.data,
            &response.errors,
            &self.fields,
            &order,
            root,
            &sets,
        );
        order.apply(&mut response.data, &sets, "");
    }
}
