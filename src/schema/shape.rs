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

#[cfg(test)]
mod tests {
    use async_graphql::{PathSegment, Response, ServerError, Value};

    use super::Shape;

    /// `data` (JSON) with `errors` at `paths`, shaped as the answer to `query`.
    fn shaped(query: &str, data: serde_json::Value, paths: &[&[&str]]) -> serde_json::Value {
        let doc = async_graphql::parser::parse_query(query).expect("query");
        let mut response = Response::new(Value::from_json(data).expect("data"));
        response.errors = paths
            .iter()
            .map(|path| {
                let mut e = ServerError::new("failed", None);
                e.path = path
                    .iter()
                    .map(|p| match p.parse::<usize>() {
                        Ok(i) => PathSegment::Index(i),
                        Err(_) => PathSegment::Field(p.to_string()),
                    })
                    .collect();
                e
            })
            .collect();
        Shape::new(&super::super::bare_schema()).finish(&mut response, &doc, None);
        // serde_json's map keeps the order the answer has (`preserve_order`).
        let text = serde_json::to_string(&response.data).expect("json");
        serde_json::from_str(&text).expect("json")
    }

    #[test]
    fn an_errored_nullable_field_is_null_and_its_object_an_object() {
        // `stages` ([Stage!], nullable) failed and was the only field of its build, so
        // async-graphql made the build `null`; aliases and fragments are followed.
        let query = r#"{ j: job(connection: "c", fullName: "x") {
            ... on Job { last: lastBuild { stages { name } } } name } }"#;
        let out = shaped(
            query,
            serde_json::json!({"j": {"name": "x", "last": null}}),
            &[&["j", "last", "stages"]],
        );
        assert_eq!(
            out,
            serde_json::json!({"j": {"last": {"stages": null}, "name": "x"}})
        );
        let keys: Vec<_> = out["j"].as_object().expect("object").keys().collect();
        assert_eq!(keys, ["last", "name"], "keys in the order of the selection");
    }

    #[test]
    fn an_errored_non_null_field_stays_out() {
        // `name` is `String!`: its error propagates, the key is not made up.
        let out = shaped(
            r#"{ job(connection: "c", fullName: "x") { name status } }"#,
            serde_json::json!({"job": {"status": "SUCCESS"}}),
            &[&["job", "name"]],
        );
        assert_eq!(out, serde_json::json!({"job": {"status": "SUCCESS"}}));
    }

    #[test]
    fn a_failed_root_field_is_null_in_an_object() {
        // Every root field failed: async-graphql's `data` is `null`.
        let out = shaped(
            r#"{ job(connection: "c", fullName: "x") { name } }"#,
            serde_json::Value::Null,
            &[&["job"]],
        );
        assert_eq!(out, serde_json::json!({"job": null}));
    }
}
