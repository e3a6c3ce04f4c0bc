//! Response keys in query order, as the GraphQL spec requires.
//!
//! async-graphql 7 resolves the fields of an object concurrently and writes each key when
//! its field completes, so a slow field lands after a fast one whatever the query said.
//! This extension keeps the operation it parsed and, once the response is built, puts
//! every object's keys back in the order of the selection (fragments inlined, aliases as
//! written). It also answers `__schema { description }` with this schema's own
//! description, which async-graphql would give as a generic text.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Request, Response, ServerResult, Value, Variables};

/// Factory of the per-request extension.
pub(crate) struct QueryOrder;

impl ExtensionFactory for QueryOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(QueryOrderExt::default())
    }
}

#[derive(Default)]
struct QueryOrderExt {
    operation: Mutex<Option<String>>,
    doc: Mutex<Option<ExecutableDocument>>,
}

#[async_trait::async_trait]
impl Extension for QueryOrderExt {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        let doc = self.doc.lock().unwrap_or_else(|p| p.into_inner()).take();
        let name = self
            .operation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(doc) = doc {
            let op = match &name {
                Some(n) => doc
                    .operations
                    .iter()
                    .find(|(o, _)| o.is_some_and(|o| o.as_str() == n)),
                None => doc.operations.iter().next(),
            };
            if let Some((_, op)) = op {
                let order = Order {
                    doc: &doc,
                    known: Default::default(),
                };
                order.apply(&mut resp.data, &[&op.node.selection_set.node], "");
            }
        }
        resp
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

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        *self.doc.lock().unwrap_or_else(|p| p.into_inner()) = Some(doc.clone());
        Ok(doc)
    }
}

/// A response key, the field it answers, and the selection sets below it.
type Key<'a> = (Name, &'a str, Vec<&'a SelectionSet>);

struct Order<'a> {
    doc: &'a ExecutableDocument,
    /// The keys of each list of selection sets met so far (by their addresses in `doc`):
    /// every element of a list, and every object under them, has the same selection, so
    /// a dashboard's thousands of jobs compute their keys once.
    known: RefCell<HashMap<Vec<usize>, Rc<[Key<'a>]>>>,
}

impl<'a> Order<'a> {
    /// Response keys of `sets` in order, each with its field's name and the selection
    /// sets below it.
    fn keys(&self, sets: &[&'a SelectionSet]) -> Vec<Key<'a>> {
        let mut out: Vec<Key<'a>> = Vec::new();
        let mut spread = Vec::new();
        for set in sets {
            self.collect(set, &mut out, &mut spread);
        }
        out
    }

    fn collect(&self, set: &'a SelectionSet, out: &mut Vec<Key<'a>>, spread: &mut Vec<&'a str>) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.clone();
                    let sub = &f.node.selection_set.node;
                    match out.iter_mut().find(|(k, _, _)| *k == key) {
                        Some((_, _, subs)) => subs.push(sub),
                        None => out.push((key, f.node.name.node.as_str(), vec![sub])),
                    }
                }
                Selection::InlineFragment(f) => {
                    self.collect(&f.node.selection_set.node, out, spread)
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if spread.contains(&name) {
                        continue;
                    }
                    if let Some((key, def)) = self.doc.fragments.get_key_value(name) {
                        spread.push(key.as_str());
                        self.collect(&def.node.selection_set.node, out, spread);
                        spread.pop();
                    }
                }
            }
        }
    }

    /// [`Self::keys`] of `sets`, computed once per list of selection sets.
    fn known_keys(&self, sets: &[&'a SelectionSet]) -> Rc<[Key<'a>]> {
        let id: Vec<usize> = sets
            .iter()
            .map(|s| std::ptr::from_ref(*s) as usize)
            .collect();
        if let Some(keys) = self.known.borrow().get(&id) {
            return Rc::clone(keys);
        }
        let keys: Rc<[Key<'a>]> = self.keys(sets).into();
        self.known.borrow_mut().insert(id, Rc::clone(&keys));
        keys
    }

    /// Order `value` (an answer to `sets`, the field `parent` of its parent object).
    fn apply(&self, value: &mut Value, sets: &[&'a SelectionSet], parent: &str) {
        match value {
            Value::List(items) => {
                for v in items {
                    self.apply(v, sets, parent);
                }
            }
            Value::Object(map) if !sets.is_empty() => {
                let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
                for (key, name, subs) in self.known_keys(sets).iter() {
                    // Every key is moved out to `ordered`, so the order left behind is moot.
                    if let Some(mut v) = map.swap_remove(key) {
                        if parent == "__schema" && *name == "description" {
                            v = Value::String(super::DESCRIPTION.into());
                        }
                        self.apply(&mut v, subs, name);
                        ordered.insert(key.clone(), v);
                    }
                }
                // Nothing should be left; keep it rather than lose it.
                ordered.extend(map.drain(..));
                *map = ordered;
            }
            _ => {}
        }
    }
}
