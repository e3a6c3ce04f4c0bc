//! Stapler's exported-bean model: the `tree=` parser, `tree`/`depth` pruning, and the JSON
//! and XML writers, with Jenkins' key order, `_class` and range rules.
//!
//! Callers describe an object as a [`Bean`] whose [`Prop`]s hold lazy getters; the writers
//! walk it under a [`Pruner`] and call a getter only when its property is selected, as
//! stapler does. See `docs/jenkins-api.md` §1 for the rules reproduced here.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

mod java;
mod json;
mod tree;
mod xml;

#[cfg(test)]
mod tests;

pub use tree::{parse_tree, Range, Tree, TreeError};

/// A value as Stapler would export it.
#[derive(Debug)]
pub enum Value<'a> {
    /// `null` in JSON; omitted in XML.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (int, long, or a date as epoch milliseconds).
    Int(i64),
    /// Written with Java's Double.toString rules (1.0E-4, 2.5, 100.0, 1.0E7).
    Float(f64),
    /// A string, URL or enum constant.
    Str(Cow<'a, str>),
    /// A list / array / Iterable: `{M,N}` ranges apply to it.
    List(Vec<Value<'a>>),
    /// An @ExportedBean object.
    Bean(Bean<'a>),
    /// A java.util.Map: written compact `{"key": value}`; the tree node (and range) applies to each value.
    Map(Vec<(Cow<'a, str>, Value<'a>)>),
    /// An object that is not an @ExportedBean (typically an Action): written as `{}`.
    Opaque,
}

/// An @ExportedBean instance.
#[derive(Debug)]
pub struct Bean<'a> {
    /// Java binary class name, e.g. "hudson.model.FreeStyleProject", "hudson.model.Queue$WaitingItem".
    pub class: Cow<'a, str>,
    /// Whether `_class` is printed when this bean is nested (Stapler's IF_NEEDED rule, decided
    /// by whoever builds the bean). The top-level bean always prints `_class`, and so does a
    /// bean that is a Map value (stapler has no declared type for those).
    pub show_class: bool,
    /// Property sections, superclass first, subclass last. The writer sorts each section by
    /// property name (Java String.compareTo: byte order) and writes sections in order. A
    /// property name appearing in a later section masks the same name in earlier sections
    /// (it is written only in the later section).
    pub sections: Vec<Vec<Prop<'a>>>,
}

impl<'a> Bean<'a> {
    /// A bean of `class` with the given property sections (superclass first).
    pub fn new(
        class: impl Into<Cow<'a, str>>,
        show_class: bool,
        sections: Vec<Vec<Prop<'a>>>,
    ) -> Self {
        Bean {
            class: class.into(),
            show_class,
            sections,
        }
    }
}

/// The type of a property getter: called at most once, and only if the property is selected.
pub type Getter<'a> = Box<dyn FnOnce() -> Value<'a> + 'a>;

/// One @Exported property. `value` is called only if the pruner selects the property (tree
/// pruning happens before the getter runs, as in Jenkins).
pub struct Prop<'a> {
    /// The exported name.
    pub name: Cow<'static, str>,
    /// Effective visibility (the @Exported visibility, or the bean's defaultVisibility when that was 0). Default 1.
    pub visibility: i32,
    /// @Exported(inline=true) or merge=true: depth pruning does not go one level deeper for it.
    pub inline: bool,
    /// If true and the value is Null, the property is skipped (skipNull).
    pub skip_null: bool,
    /// The getter.
    pub value: Getter<'a>,
}

impl<'a> Prop<'a> {
    /// A property with visibility 1, not inline, not skip_null.
    pub fn new(name: impl Into<Cow<'static, str>>, value: impl FnOnce() -> Value<'a> + 'a) -> Self {
        Prop {
            name: name.into(),
            visibility: 1,
            inline: false,
            skip_null: false,
            value: Box::new(value),
        }
    }

    /// Sets the effective visibility.
    pub fn vis(mut self, visibility: i32) -> Self {
        self.visibility = visibility;
        self
    }

    /// Marks the property inline (or merge): depth pruning stays at the same level for it.
    pub fn inline(mut self) -> Self {
        self.inline = true;
        self
    }

    /// Skips the property when its value is Null.
    pub fn skip_null(mut self) -> Self {
        self.skip_null = true;
        self
    }
}

impl fmt::Debug for Prop<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prop")
            .field("name", &self.name)
            .field("visibility", &self.visibility)
            .field("inline", &self.inline)
            .field("skip_null", &self.skip_null)
            .finish_non_exhaustive()
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<i32> for Value<'_> {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<u32> for Value<'_> {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}

/// Values above `i64::MAX` saturate: Java has no wider integer type to export.
impl From<u64> for Value<'_> {
    fn from(v: u64) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

/// Values above `i64::MAX` saturate, as for `u64`.
impl From<usize> for Value<'_> {
    fn from(v: usize) -> Self {
        Value::Int(i64::try_from(v).unwrap_or(i64::MAX))
    }
}

impl From<f64> for Value<'_> {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Str(Cow::Borrowed(v))
    }
}

impl From<String> for Value<'_> {
    fn from(v: String) -> Self {
        Value::Str(Cow::Owned(v))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(v: Cow<'a, str>) -> Self {
        Value::Str(v)
    }
}

impl<'a> From<Bean<'a>> for Value<'a> {
    fn from(v: Bean<'a>) -> Self {
        Value::Bean(v)
    }
}

/// `None` is `Null`.
impl<'a, T: Into<Value<'a>>> From<Option<T>> for Value<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A list of anything convertible.
impl<'a, T: Into<Value<'a>>> From<Vec<T>> for Value<'a> {
    fn from(v: Vec<T>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}

/// How a response is pruned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pruner {
    /// `tree=`: only the named paths (stapler's `NamedPathPruner`).
    Tree(Tree),
    /// `depth=` (the query value, not stapler's internal `1 - depth`).
    Depth(i32),
}

impl Default for Pruner {
    /// No `tree` and no `depth`: depth 0.
    fn default() -> Self {
        Pruner::Depth(0)
    }
}

impl Pruner {
    /// Jenkins' rule: if `tree` is present (even empty) use it (and ignore depth); else depth
    /// (default 0) parsed as an integer.
    /// Errors: bad tree => ExportError::Tree, non-integer depth => ExportError::Depth
    /// ("Depth parameter must be a number").
    pub fn from_query(tree: Option<&str>, depth: Option<&str>) -> Result<Pruner, ExportError> {
        if let Some(tree) = tree {
            return Ok(Pruner::Tree(parse_tree(tree)?));
        }
        match depth {
            None => Ok(Pruner::Depth(0)),
            // Rust's i32 parsing accepts what Integer.parseInt does for ASCII input,
            // including a leading '+'.
            Some(d) => d
                .parse::<i32>()
                .map(Pruner::Depth)
                .map_err(|_| ExportError::Depth("Depth parameter must be a number".to_owned())),
        }
    }
}

/// Why a bean could not be written; Jenkins answers all of these with HTTP 500.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    /// A malformed `tree=`; displayed as Jenkins' ServletException message.
    #[error("Malformed tree expression: {}", .0.java_exception())]
    Tree(#[from] TreeError),
    /// A non-integer `depth=`.
    #[error("{0}")]
    Depth(String),
    /// A range that cannot be applied (reversed, `{3,1}`).
    #[error("{0}")]
    Range(String),
}

/// Write the top-level bean as JSON, exactly as Stapler does (compact, or pretty when `pretty`).
pub fn to_json(bean: Bean<'_>, pruner: &Pruner, pretty: bool) -> Result<String, ExportError> {
    let mut sink = json::JsonSink::new(pretty);
    write_root(bean, pruner, &mut sink)?;
    Ok(sink.finish())
}

/// Write as XML (api/xml), exactly as Stapler's XMLDataWriter.
pub fn to_xml(bean: Bean<'_>, pruner: &Pruner) -> Result<String, ExportError> {
    let mut sink = xml::XmlSink::new(&bean.class);
    write_root(bean, pruner, &mut sink)?;
    Ok(sink.finish())
}

/// Stapler's `DataWriter`: the events the walk emits, rendered by each format.
trait Sink {
    fn name(&mut self, name: &str);
    /// A number or boolean, already rendered as Java's `toString()`.
    fn primitive(&mut self, text: &str);
    fn string(&mut self, s: &str);
    fn null(&mut self);
    fn start_array(&mut self);
    fn end_array(&mut self);
    fn start_object(&mut self, class: Option<&str>);
    fn end_object(&mut self);
}

/// The pruner at one level of the walk (stapler's `TreePruner` instances).
#[derive(Clone, Copy)]
enum Cursor<'t> {
    Tree(&'t Tree),
    /// `ByDepth(n)`: properties with visibility below `n` are cut.
    Depth(i32),
}

impl<'t> Cursor<'t> {
    fn accept(self, prop: &Prop<'_>) -> Option<Cursor<'t>> {
        match self {
            Cursor::Tree(t) => t.select(&prop.name).map(Cursor::Tree),
            Cursor::Depth(n) if prop.visibility < n => None,
            Cursor::Depth(_) if prop.inline => Some(self),
            // Java int arithmetic: absurd depths wrap rather than panic.
            Cursor::Depth(n) => Some(Cursor::Depth(n.wrapping_add(1))),
        }
    }

    fn range(self) -> Range {
        match self {
            Cursor::Tree(t) => t.range().unwrap_or(Range::ALL),
            Cursor::Depth(_) => Range::ALL,
        }
    }
}

fn write_root(bean: Bean<'_>, pruner: &Pruner, sink: &mut impl Sink) -> Result<(), ExportError> {
    let cursor = match pruner {
        Pruner::Tree(t) => Cursor::Tree(t),
        Pruner::Depth(d) => Cursor::Depth(1i32.wrapping_sub(*d)),
    };
    sink.start_object(Some(&bean.class));
    write_props(bean.sections, cursor, sink)?;
    sink.end_object();
    Ok(())
}

fn write_props(
    sections: Vec<Vec<Prop<'_>>>,
    cursor: Cursor<'_>,
    sink: &mut impl Sink,
) -> Result<(), ExportError> {
    let masked = masked_props(&sections);
    for (section, masked) in sections.into_iter().zip(masked) {
        let mut props: Vec<Prop<'_>> = section
            .into_iter()
            .zip(masked)
            .filter_map(|(p, m)| (!m).then_some(p))
            .collect();
        // Stable, like Arrays.sort on objects.
        props.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
        for prop in props {
            write_prop(prop, cursor, sink)?;
        }
    }
    Ok(())
}

/// For each property, whether a later (subclass) section redeclares its name.
fn masked_props(sections: &[Vec<Prop<'_>>]) -> Vec<Vec<bool>> {
    let mut later: HashSet<&str> = HashSet::new();
    let mut masked = vec![Vec::new(); sections.len()];
    for (i, section) in sections.iter().enumerate().rev() {
        masked[i] = section
            .iter()
            .map(|p| later.contains(p.name.as_ref()))
            .collect();
        later.extend(section.iter().map(|p| p.name.as_ref()));
    }
    masked
}

fn write_prop(prop: Prop<'_>, cursor: Cursor<'_>, sink: &mut impl Sink) -> Result<(), ExportError> {
    let Some(child) = cursor.accept(&prop) else {
        return Ok(());
    };
    let value = (prop.value)();
    if prop.skip_null && matches!(value, Value::Null) {
        return Ok(());
    }
    sink.name(&prop.name);
    write_value(value, child, false, sink)
}

/// `untyped`: the value has no declared type (a Map value, or an element of a list that
/// is one), so IF_NEEDED always prints a bean's `_class`.
fn write_value(
    value: Value<'_>,
    cursor: Cursor<'_>,
    untyped: bool,
    sink: &mut impl Sink,
) -> Result<(), ExportError> {
    match value {
        Value::Null => sink.null(),
        Value::Bool(b) => sink.primitive(if b { "true" } else { "false" }),
        Value::Int(i) => sink.primitive(&i.to_string()),
        Value::Float(f) => sink.primitive(&java::double_to_string(f)),
        Value::Str(s) => sink.string(&s),
        Value::List(items) => {
            let (start, end) = cursor
                .range()
                .bounds(items.len())
                .map_err(ExportError::Range)?;
            sink.start_array();
            // Elements stay at the list's level: the same pruner, the same range.
            for item in items.into_iter().skip(start).take(end - start) {
                write_value(item, cursor, untyped, sink)?;
            }
            sink.end_array();
        }
        Value::Bean(bean) => {
            let class = (bean.show_class || untyped).then_some(bean.class);
            sink.start_object(class.as_deref());
            write_props(bean.sections, cursor, sink)?;
            sink.end_object();
        }
        Value::Map(entries) => {
            sink.start_object(None);
            for (key, v) in entries {
                sink.name(&key);
                write_value(v, cursor, true, sink)?;
            }
            sink.end_object();
        }
        Value::Opaque => {
            sink.start_object(None);
            sink.end_object();
        }
    }
    Ok(())
}
