//! Errors become `null` where the schema allows it, as the GraphQL spec says.
//!
//! async-graphql 7 leaves an errored field out of `data` altogether (and an object all of
//! whose fields failed becomes `null`). A dashboard then cannot tell "this build has no
//! stages field" from "its controller failed". Once the answer is built, every error's
//! path is followed through the operation: where it ends on a nullable field, that field is
//! put back as `null` (its error stays in `errors`); errors of non-null fields leave their
//! key out, as before. Nullability comes from the schema's own SDL, read once.

use std::collections::HashMap;

use async_graphql::parser::types::{BaseType, SelectionSet, Type, TypeKind, TypeSystemDefinition};
use async_graphql::{PathSegment, ServerError, Value};

use super::order::Order;

/// A field's declared type, as far as nulls need it.
#[derive(Debug)]
struct FieldType {
    nullable: bool,
    /// The named type inside any lists.
    named: String,
}

/// Every object and interface field of the schema, by type and field name.
#[derive(Debug, Default)]
pub(crate) struct FieldTypes {
    types: HashMap<String, HashMap<String, FieldType>>,
    /// The query and subscription root types.
    pub(crate) query: String,
    pub(crate) subscription: String,
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

impl FieldTypes {
    /// The table of the schema whose SDL is `sdl`.
    pub(crate) fn from_sdl(sdl: &str) -> Self {
        let mut table = FieldTypes::default();
        // The SDL is async-graphql's own export: it always parses.
        let Ok(doc) = async_graphql::parser::parse_schema(sdl) else {
            return table;
        };
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Schema(s) => {
                    let name = |n: Option<async_graphql::Positioned<async_graphql::Name>>| {
                        n.map(|n| n.node.to_string()).unwrap_or_default()
                    };
                    table.query = name(s.node.query);
                    table.subscription = name(s.node.subscription);
                }
                TypeSystemDefinition::Type(t) => {
                    let fields = match t.node.kind {
                        TypeKind::Object(o) => o.fields,
                        TypeKind::Interface(i) => i.fields,
                        _ => continue,
                    };
                    let fields = fields
                        .into_iter()
                        .map(|f| {
                            let ty = &f.node.ty.node;
                            let field = FieldType {
                                nullable: ty.nullable,
                                named: named(ty).to_string(),
                            };
                            (f.node.name.node.to_string(), field)
                        })
                        .collect();
                    table.types.insert(t.node.name.node.to_string(), fields);
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        table
    }

    fn field(&self, ty: &str, name: &str) -> Option<&FieldType> {
        self.types.get(ty)?.get(name)
    }

    /// Whether the field that `path` ends on (below the root `sets` of type `root`) may
    /// be null; `false` when the path ends on a list element or leaves the operation.
    fn nullable_at<'a>(
        &self,
        order: &Order<'a>,
        root: &str,
        sets: &[&'a SelectionSet],
        path: &[PathSegment],
    ) -> bool {
        let mut ty = root;
        let mut sets = sets.to_vec();
        let mut nullable = false;
        for segment in path {
            let PathSegment::Field(key) = segment else {
                nullable = false;
                continue;
            };
            let keys = order.known_keys(&sets);
            let Some((_, name, on, subs)) = keys.iter().find(|k| k.0.as_str() == key) else {
                return false;
            };
            let Some(field) = self.field(on.unwrap_or(ty), name) else {
                return false;
            };
            nullable = field.nullable;
            ty = &field.named;
            sets.clone_from(subs);
        }
        nullable
    }
}

/// Put `null` back in `data` where an error of `errors` ended on a nullable field of the
/// operation whose root `sets` are of type `root`.
pub(crate) fn fill<'a>(
    data: &mut Value,
    errors: &[ServerError],
    table: &FieldTypes,
    order: &Order<'a>,
    root: &str,
    sets: &[&'a SelectionSet],
) {
    for e in errors {
        if !e.path.is_empty() && table.nullable_at(order, root, sets, &e.path) {
            put_null(data, &e.path);
        }
    }
}

/// Insert `null` at `path` (ending on a field) unless a value is there. The object it
/// belongs to, if async-graphql made it `null` because none of its fields answered, is an
/// object again: the error proves it was one.
fn put_null(data: &mut Value, path: &[PathSegment]) {
    let Some((PathSegment::Field(last), init)) = path.split_last() else {
        return;
    };
    let mut at = data;
    for segment in init {
        let next = match (segment, at) {
            (PathSegment::Index(i), Value::List(items)) => items.get_mut(*i),
            (PathSegment::Field(key), Value::Object(map)) => map.get_mut(key.as_str()),
            _ => None,
        };
        let Some(next) = next else {
            return;
        };
        at = next;
    }
    if matches!(at, Value::Null) {
        *at = Value::Object(Default::default());
    }
    if let Value::Object(map) = at {
        map.entry(async_graphql::Name::new(last))
            .or_insert(Value::Null);
    }
}
