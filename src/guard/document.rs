//! What a GraphQL document may cost before anything executes it.
//!
//! Two passes, both linear in the size of the text:
//! - [`scan`] reads the raw text without parsing it and bounds the nesting of brackets and
//!   the number of tokens. The parser recurses once per nesting level, so a list literal
//!   nested 1,500 levels deep would overflow a worker's stack before any other check ran.
//! - [`measure`] walks the parsed document and counts what it expands to once every
//!   fragment spread is inlined (fields, aliases, depth, root fields), memoising each
//!   fragment, so a document whose fragments each spread the previous one twice is
//!   refused from its 1 KB of text instead of being expanded into millions of fields.

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::config::LimitsConfig;
use crate::error::GatewayError;

fn over(code: &'static str, what: &'static str, actual: u64, limit: u64) -> GatewayError {
    GatewayError::DocumentLimit {
        code,
        what,
        actual,
        limit,
    }
}

/// Bounds nesting and tokens of `text` without parsing it.
pub(crate) fn scan(text: &str, limits: &LimitsConfig) -> Result<(), GatewayError> {
    let bytes = text.as_bytes();
    let (mut i, mut depth, mut tokens) = (0usize, 0u64, 0u64);
    let token = |tokens: &mut u64| -> Result<(), GatewayError> {
        *tokens += 1;
        if *tokens > limits.max_tokens {
            return Err(over(
                "TOO_MANY_TOKENS",
                "the number of tokens",
                *tokens,
                limits.max_tokens,
            ));
        }
        Ok(())
    };
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b' ' | b'\t' | b'\n' | b'\r' | b',' => i += 1,
            b'"' => {
                token(&mut tokens)?;
                i = skip_string(bytes, i);
            }
            b'(' | b'[' | b'{' => {
                token(&mut tokens)?;
                depth += 1;
                if depth > limits.max_nesting {
                    return Err(over(
                        "NESTING_TOO_DEEP",
                        "the nesting of brackets",
                        depth,
                        limits.max_nesting,
                    ));
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                token(&mut tokens)?;
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => {
                token(&mut tokens)?;
                i += 3;
            }
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' => {
                token(&mut tokens)?;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric()
                        || matches!(bytes[i], b'_' | b'.' | b'+' | b'-'))
                {
                    i += 1;
                }
            }
            _ => {
                token(&mut tokens)?;
                i += 1;
            }
        }
    }
    Ok(())
}

/// The index just past the string starting at `start` (a `"` or `"""`), or the end of
/// the text when it is unterminated (the parser then reports it).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// What a selection set expands to with every fragment inlined.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Expansion {
    /// Field selections.
    pub(crate) fields: u64,
    /// Field selections with an alias.
    pub(crate) aliases: u64,
    /// Deepest field nesting (a top-level scalar field is 1).
    pub(crate) depth: u64,
}

impl Expansion {
    fn add(&mut self, other: Expansion) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.depth = self.depth.max(other.depth);
    }
}

struct Measure<'a> {
    doc: &'a ExecutableDocument,
    done: HashMap<&'a str, Expansion>,
    visiting: Vec<&'a str>,
}

impl<'a> Measure<'a> {
    fn set(&mut self, set: &'a SelectionSet) -> Result<Expansion, GatewayError> {
        let mut total = Expansion::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let inner = self.set(&f.node.selection_set.node)?;
                    total.add(Expansion {
                        fields: inner.fields.saturating_add(1),
                        aliases: inner
                            .aliases
                            .saturating_add(u64::from(f.node.alias.is_some())),
                        depth: inner.depth + 1,
                    });
                }
                Selection::InlineFragment(f) => total.add(self.set(&f.node.selection_set.node)?),
                Selection::FragmentSpread(s) => {
                    total.add(self.fragment(s.node.fragment_name.node.as_str())?);
                }
            }
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Expansion, GatewayError> {
        if let Some(done) = self.done.get(name) {
            return Ok(*done);
        }
        if self.visiting.contains(&name) {
            return Err(GatewayError::ValidationFailed(format!(
                "fragment {name:?} spreads itself"
            )));
        }
        // Unknown fragments expand to nothing here; validation reports them.
        let Some((key, def)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Expansion::default());
        };
        self.visiting.push(key.as_str());
        let e = self.set(&def.node.selection_set.node)?;
        self.visiting.pop();
        self.done.insert(key.as_str(), e);
        Ok(e)
    }
}

/// Counts what each operation (and each fragment) of `doc` expands to and refuses it
/// when it is over a limit.
pub(crate) fn measure(doc: &ExecutableDocument, limits: &LimitsConfig) -> Result<(), GatewayError> {
    let mut m = Measure {
        doc,
        done: HashMap::new(),
        visiting: Vec::new(),
    };
    let mut worst = Expansion::default();
    let mut roots = 0u64;
    for (_, op) in doc.operations.iter() {
        let set = &op.node.selection_set.node;
        let e = m.set(set)?;
        roots = roots.max(root_fields(&mut m, set)?);
        worst.fields = worst.fields.max(e.fields);
        worst.aliases = worst.aliases.max(e.aliases);
        worst.depth = worst.depth.max(e.depth);
    }
    for name in doc.fragments.keys() {
        let e = m.fragment(name.as_str())?;
        worst.fields = worst.fields.max(e.fields);
        worst.aliases = worst.aliases.max(e.aliases);
        worst.depth = worst.depth.max(e.depth);
    }
    let checks = [
        (
            "TOO_MANY_FIELDS",
            "the number of fields with fragments expanded",
            worst.fields,
            limits.max_fields,
        ),
        (
            "TOO_MANY_ALIASES",
            "the number of aliases with fragments expanded",
            worst.aliases,
            limits.max_aliases,
        ),
        (
            "QUERY_TOO_DEEP",
            "the depth of the selection",
            worst.depth,
            limits.max_depth,
        ),
        (
            "TOO_MANY_ROOT_FIELDS",
            "the number of root fields",
            roots,
            limits.max_root_fields,
        ),
    ];
    for (code, what, actual, limit) in checks {
        if actual > limit {
            return Err(over(code, what, actual, limit));
        }
    }
    Ok(())
}

/// Fields at the top of an operation, through fragments at that level.
fn root_fields<'a>(m: &mut Measure<'a>, set: &'a SelectionSet) -> Result<u64, GatewayError> {
    let mut n = 0u64;
    for item in &set.items {
        n = n.saturating_add(match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(f) => root_fields(m, &f.node.selection_set.node)?,
            Selection::FragmentSpread(s) => {
                let name = s.node.fragment_name.node.as_str();
                match m.doc.fragments.get(name) {
                    Some(def) if !m.visiting.contains(&name) => {
                        m.visiting.push(name);
                        let r = root_fields(m, &def.node.selection_set.node);
                        m.visiting.pop();
                        r?
                    }
                    _ => 0,
                }
            }
        });
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> LimitsConfig {
        LimitsConfig::default()
    }

    fn measured(text: &str) -> Result<(), GatewayError> {
        scan(text, &limits())?;
        let doc = async_graphql::parser::parse_query(text).expect("valid document");
        measure(&doc, &limits())
    }

    fn code(r: Result<(), GatewayError>) -> &'static str {
        r.err().map_or("OK", |e| e.code())
    }

    #[test]
    fn deeply_nested_literals_are_refused_before_parsing() {
        let depth = 1_500;
        let text = format!(
            "{{ jobs(filter: {{ connections: {}\"a\"{} }}) {{ totalCount }} }}",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(code(scan(&text, &limits())), "NESTING_TOO_DEEP");
        let objects = format!("{{ a(x: {}1{}) }}", "{a:".repeat(depth), "}".repeat(depth));
        assert_eq!(code(scan(&objects, &limits())), "NESTING_TOO_DEEP");
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let inner = "[".repeat(500);
        let text =
            format!("# {inner}\n{{ a(x: \"{inner}\", y: \"\"\"{inner} \\\"\"\" {inner}\"\"\") }}");
        assert_eq!(code(scan(&text, &limits())), "OK");
    }

    #[test]
    fn token_floods_are_refused() {
        let text = format!("{{ {} }}", "a ".repeat(20_000));
        assert_eq!(code(scan(&text, &limits())), "TOO_MANY_TOKENS");
    }

    #[test]
    fn fragment_doubling_is_counted_not_expanded() {
        // Each fragment spreads the previous twice: 2^30 fields from ~1 KB of text.
        let mut text =
            String::from("{ connections { ...F0 } }\nfragment F0 on Connection { name }\n");
        for i in 1..=30 {
            text.push_str(&format!(
                "fragment F{i} on Connection {{ ...F{p} a{i}: name ...F{p} }}\n",
                p = i - 1
            ));
        }
        let started = std::time::Instant::now();
        let err = measured(&text).expect_err("refused");
        assert_eq!(err.code(), "TOO_MANY_FIELDS");
        assert!(started.elapsed().as_secs() < 2, "measured in linear time");
    }

    #[test]
    fn aliases_depth_and_root_fields_are_bounded() {
        let aliases: String = (0..40).map(|i| format!("a{i}: name ")).collect();
        assert_eq!(
            code(measured(&format!("{{ connections {{ {aliases} }} }}"))),
            "TOO_MANY_ALIASES"
        );
        let deep = format!("{}x{}", "{ a ".repeat(40), " }".repeat(40));
        assert_eq!(code(measured(&deep)), "QUERY_TOO_DEEP");
        let roots: String = (0..30)
            .map(|i| format!("r{i}: health {{ totals {{ jobs }} }} "))
            .collect();
        let e = measured(&format!("{{ {roots} }}")).expect_err("refused");
        assert!(
            matches!(e.code(), "TOO_MANY_ROOT_FIELDS" | "TOO_MANY_ALIASES"),
            "{e}"
        );
    }

    #[test]
    fn fragment_cycles_do_not_loop() {
        let text = "{ connections { ...A } } fragment A on Connection { ...B } fragment B on Connection { ...A }";
        assert_eq!(code(measured(text)), "GRAPHQL_VALIDATION_FAILED");
    }

    #[test]
    fn ordinary_queries_pass() {
        let text = "query Dash { health { connections { status error { code hint } } failingJobs { fullName lastBuild { number result stages { name status } } } } }";
        assert_eq!(code(measured(text)), "OK");
    }
}
