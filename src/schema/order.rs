//! Response keys in query order, as the GraphQL spec requires.
//!
//! async-graphql 7 resolves the fields of an object concurrently and writes each key when
//! its field completes, so a slow field lands after a fast one whatever the query said.
//! Once the response is built, [`Order::apply`] puts every object's keys back in the order
//! of the selection (fragments inlined, aliases as written); an object already in order
//! (most are: fields that answer at once complete in the order they were asked) is only
//! walked. It also answers `__schema { description }` with this schema's own description,
//! which async-graphql would give as a generic text.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Value};

/// A response key, the field it answers, the type condition of the fragment it was
/// selected in (`None`: the parent's own type), and the selection sets below it.
pub(crate) type Key<'a> = (Name, &'a str, Option<&'a str>, Vec<&'a SelectionSet>);

/// The order of one operation's answer.
pub(crate) struct Order<'a> {
    doc: &'a ExecutableDocument,
    /// The keys of each list of selection sets met so far (by their addresses in `doc`):
    /// every element of a list, and every object under them, has the same selection, so
    /// a dashboard's thousands of jobs compute their keys once.
    known: RefCell<HashMap<Vec<usize>, Rc<[Key<'a>]>>>,
}

impl<'a> Order<'a> {
    /// The order of the operations of `doc`.
    pub(crate) fn new(doc: &'a ExecutableDocument) -> Self {
        Order {
            doc,
            known: RefCell::default(),
        }
    }

    /// Response keys of `sets` in order, each with its field's name and the selection
    /// sets below it.
    fn keys(&self, sets: &[&'a SelectionSet]) -> Vec<Key<'a>> {
        let mut out: Vec<Key<'a>> = Vec::new();
        let mut spread = Vec::new();
        for set in sets {
            self.collect(set, None, &mut out, &mut spread);
        }
        out
    }

    fn collect(
        &self,
        set: &'a SelectionSet,
        on: Option<&'a str>,
        out: &mut Vec<Key<'a>>,
        spread: &mut Vec<&'a str>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.clone();
                    let sub = &f.node.selection_set.node;
                    match out.iter_mut().find(|(k, ..)| *k == key) {
                        Some((.., subs)) => subs.push(sub),
                        None => out.push((key, f.node.name.node.as_str(), on, vec![sub])),
                    }
                }
                Selection::InlineFragment(f) => {
                    let cond = f.node.type_condition.as_ref();
                    let on = cond.map_or(on, |c| Some(c.node.on.node.as_str()));
                    self.collect(&f.node.selection_set.node, on, out, spread)
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    if spread.contains(&name) {
                        continue;
                    }
                    if let Some((key, def)) = self.doc.fragments.get_key_value(name) {
                        spread.push(key.as_str());
                        let on = Some(def.node.type_condition.node.on.node.as_str());
                        self.collect(&def.node.selection_set.node, on, out, spread);
                        spread.pop();
                    }
                }
            }
        }
    }

    /// [`Self::keys`] of `sets`, computed once per list of selection sets.
    pub(crate) fn known_keys(&self, sets: &[&'a SelectionSet]) -> Rc<[Key<'a>]> {
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
    pub(crate) fn apply(&self, value: &mut Value, sets: &[&'a SelectionSet], parent: &str) {
        match value {
            Value::List(items) => {
                for v in items {
                    self.apply(v, sets, parent);
                }
            }
            Value::Object(map) if !sets.is_empty() => {
                let keys = self.known_keys(sets);
                if !self.walk_in_order(map, &keys, parent) {
                    self.reorder(map, &keys, parent);
                }
            }
            _ => {}
        }
    }

    /// Order the values of `map` if its keys already come in the order of `keys` (some
    /// may be missing: skipped, or errors); `false`, having left it as it was or ordered
    /// some of its values, if not.
    fn walk_in_order(
        &self,
        map: &mut async_graphql::indexmap::IndexMap<Name, Value>,
        keys: &[Key<'a>],
        parent: &str,
    ) -> bool {
        let mut at = 0;
        for (key, name, _, subs) in keys {
            let here = map.get_index(at).is_some_and(|(k, _)| k == key);
            if here {
                if let Some((_, v)) = map.get_index_mut(at) {
                    self.answer(v, name, subs, parent);
                }
                at += 1;
            } else if map.contains_key(key) {
                return false;
            }
        }
        at == map.len()
    }

    /// Move every key of `map` to its place in `keys`, ordering its value on the way.
    fn reorder(
        &self,
        map: &mut async_graphql::indexmap::IndexMap<Name, Value>,
        keys: &[Key<'a>],
        parent: &str,
    ) {
        let mut ordered = async_graphql::indexmap::IndexMap::with_capacity(map.len());
        for (key, name, _, subs) in keys {
            // Every key is moved out to `ordered`, so the order left behind is moot.
            if let Some(mut v) = map.swap_remove(key) {
                self.answer(&mut v, name, subs, parent);
                ordered.insert(key.clone(), v);
            }
        }
        // Nothing should be left; keep it rather than lose it.
        ordered.extend(map.drain(..));
        *map = ordered;
    }

    /// Order the value of the field `name` (below `parent`), selected with `subs`.
    fn answer(&self, v: &mut Value, name: &str, subs: &[&'a SelectionSet], parent: &str) {
        if parent == "__schema" && name == "description" {
            *v = Value::String(super::DESCRIPTION.into());
        }
        self.apply(v, subs, name);
    }
}
