//! The `tree=` expression: a port of stapler's `NamedPathPruner` parser and `Range`.

use std::collections::BTreeMap;
use std::fmt;

/// Stapler's `Integer.MAX_VALUE`: the open end of `{N,}` and of "no range".
const JAVA_INT_MAX: usize = i32::MAX as usize;

/// Deeper nesting than this is refused; Java would hit a `StackOverflowError` somewhere
/// beyond it, and unbounded recursion here could overflow a server thread's stack.
const MAX_NESTING: usize = 512;

/// A `{M,N}` range: the half-open slice `[min, max)` of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// First index included.
    pub min: usize,
    /// First index excluded (`i32::MAX` for an open end, as in Java).
    pub max: usize,
}

impl Range {
    /// Stapler's `Range.ALL`: every element.
    pub const ALL: Range = Range {
        min: 0,
        max: JAVA_INT_MAX,
    };

    /// The `[start, end)` indices this range keeps of a list of `len` elements.
    ///
    /// A start past the end gives an empty slice. A reversed range is an error, because
    /// Jenkins 2.516.2 (the recorded version) answers it with HTTP 500; newer stapler
    /// versions return an empty list instead.
    pub fn bounds(&self, len: usize) -> Result<(usize, usize), String> {
        if self.min > self.max {
            return Err(format!("fromIndex({}) > toIndex({})", self.min, self.max));
        }
        let end = self.max.min(len);
        Ok((self.min.min(end), end))
    }
}

/// A parsed `tree=` expression (stapler's `NamedPathPruner.Tree`): the selected children
/// by property name, and the range given to this node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    children: BTreeMap<String, Tree>,
    range: Option<Range>,
}

impl Tree {
    /// The sub-tree selected for exactly this property name (no wildcard fallback).
    pub fn child(&self, name: &str) -> Option<&Tree> {
        self.children.get(name)
    }

    /// The sub-tree that applies to a property: its own name, else `*`
    /// (`NamedPathPruner.accept`).
    pub fn select(&self, name: &str) -> Option<&Tree> {
        self.children.get(name).or_else(|| self.children.get("*"))
    }

    /// The selected children, ordered by name.
    pub fn children(&self) -> impl Iterator<Item = (&str, &Tree)> {
        self.children.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The range written after this node, if any.
    pub fn range(&self) -> Option<Range> {
        self.range
    }
}

/// Java's `TreeMap.toString()` shape, as in stapler's own parser tests: `{a={}, b={c={}}}`.
impl fmt::Display for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (name, sub)) in self.children.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name}={sub}")?;
        }
        f.write_str("}")
    }
}

/// A `tree=` syntax error. `Display` gives stapler's message, e.g. `expected name at 5`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TreeError {
    message: String,
    java_class: &'static str,
}

impl TreeError {
    fn expected(what: &str, pos: usize) -> Self {
        TreeError {
            message: format!("expected {what} at {pos}"),
            java_class: "java.lang.IllegalArgumentException",
        }
    }

    /// The exception's message alone, e.g. `expected RBRACE at 9`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The exception as Java's `Throwable.toString()` prints it, which is what Jenkins puts
    /// after "Malformed tree expression: ".
    pub fn java_exception(&self) -> String {
        format!("{}: {}", self.java_class, self.message)
    }
}

/// Parses a `tree=` expression exactly as stapler's `NamedPathPruner.parse` does.
pub fn parse_tree(spec: &str) -> Result<Tree, TreeError> {
    let mut r = Reader {
        text: spec,
        pos: 0,
        next: 0,
    };
    let mut t = Tree::default();
    list(&mut r, &mut t, 0)?;
    r.expect(Token::Eof)?;
    Ok(t)
}

/// `list := node (',' list)?`, iterated rather than recursed so long lists cost no stack.
fn list(r: &mut Reader<'_>, t: &mut Tree, depth: usize) -> Result<(), TreeError> {
    loop {
        node(r, t, depth)?;
        if !r.accept(Token::Comma) {
            return Ok(());
        }
    }
}

fn node(r: &mut Reader<'_>, t: &mut Tree, depth: usize) -> Result<(), TreeError> {
    let name = match r.peek() {
        Token::Name(n) => n,
        _ => return Err(TreeError::expected("name", r.java_pos())),
    };
    r.advance();
    let mut sub = Tree::default();
    if r.accept(Token::LBrace) {
        if depth >= MAX_NESTING {
            return Err(TreeError {
                message: format!("tree expression nested deeper than {MAX_NESTING} levels"),
                java_class: "java.lang.StackOverflowError",
            });
        }
        list(r, &mut sub, depth + 1)?;
        r.expect(Token::RBrace)?;
    }
    if r.accept(Token::QLBrace) {
        sub.range = Some(parse_range(r)?);
        r.expect(Token::QRBrace)?;
    }
    // A later occurrence of a name replaces the earlier one (`TreeMap.put`).
    t.children.insert(name.to_owned(), sub);
    Ok(())
}

fn parse_range(r: &mut Reader<'_>) -> Result<Range, TreeError> {
    if r.accept(Token::Comma) {
        return Ok(Range {
            min: 0,
            max: r.expect_number()?,
        });
    }
    let min = r.expect_number()?;
    if r.peek() == Token::QRBrace {
        // Java computes `min + 1` in int arithmetic: at Integer.MAX_VALUE it wraps to a
        // negative end, which fails when applied; a reversed range reproduces that.
        let max = if min == JAVA_INT_MAX { 0 } else { min + 1 };
        return Ok(Range { min, max });
    }
    r.expect(Token::Comma)?;
    if r.peek() == Token::QRBrace {
        return Ok(Range {
            min,
            max: JAVA_INT_MAX,
        });
    }
    Ok(Range {
        min,
        max: r.expect_number()?,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'s> {
    Comma,
    LBrace,
    RBrace,
    QLBrace,
    QRBrace,
    Eof,
    Name(&'s str),
}

impl Token<'_> {
    /// The Java enum constant's name, used in "expected X at N".
    fn java_name(self) -> &'static str {
        match self {
            Token::Comma => "COMMA",
            Token::LBrace => "LBRACE",
            Token::RBrace => "RBRACE",
            Token::QLBrace => "QLBRACE",
            Token::QRBrace => "QRBRACE",
            Token::Eof => "EOF",
            Token::Name(_) => "name",
        }
    }
}

struct Reader<'s> {
    text: &'s str,
    /// Byte offsets; error positions are converted to Java's UTF-16 indices.
    pos: usize,
    next: usize,
}

impl<'s> Reader<'s> {
    fn peek(&mut self) -> Token<'s> {
        let rest = &self.text[self.pos..];
        let Some(first) = rest.bytes().next() else {
            return Token::Eof;
        };
        let tok = match first {
            b',' => Token::Comma,
            b'[' => Token::LBrace,
            b']' => Token::RBrace,
            b'{' => Token::QLBrace,
            b'}' => Token::QRBrace,
            _ => {
                let len = rest.find([',', '[', ']', '{', '}']).unwrap_or(rest.len());
                self.next = self.pos + len;
                return Token::Name(&rest[..len]);
            }
        };
        self.next = self.pos + 1;
        tok
    }

    fn advance(&mut self) {
        self.pos = self.next;
    }

    fn java_pos(&self) -> usize {
        self.text[..self.pos].encode_utf16().count()
    }

    fn expect(&mut self, tok: Token<'_>) -> Result<(), TreeError> {
        if self.peek() != tok {
            return Err(TreeError::expected(tok.java_name(), self.java_pos()));
        }
        self.advance();
        Ok(())
    }

    fn accept(&mut self, tok: Token<'_>) -> bool {
        if self.peek() == tok {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect_number(&mut self) -> Result<usize, TreeError> {
        let digits = match self.peek() {
            Token::Name(n) if n.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(TreeError::expected("number", self.java_pos())),
        };
        // Integer.parseInt: the regex admits any digit run, the int conversion may not.
        let n = digits.parse::<i32>().map_err(|_| TreeError {
            message: format!("For input string: \"{digits}\""),
            java_class: "java.lang.NumberFormatException",
        })?;
        self.advance();
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(spec: &str) -> String {
        match parse_tree(spec) {
            Ok(t) => panic!("{spec:?} parsed as {t}"),
            Err(e) => e.to_string(),
        }
    }

    fn ok(spec: &str) -> Tree {
        parse_tree(spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"))
    }

    #[test]
    fn stapler_parse_examples() {
        assert_eq!(ok("a,b[c]").to_string(), "{a={}, b={c={}}}");
        assert_eq!(ok("a,b[c,d]").to_string(), "{a={}, b={c={}, d={}}}");
        assert_eq!(ok("a,b[c,d],e").to_string(), "{a={}, b={c={}, d={}}, e={}}");
        assert_eq!(
            ok("a,b[c,d]{,10},e").to_string(),
            "{a={}, b={c={}, d={}}, e={}}"
        );
    }

    #[test]
    fn stapler_parse_errors() {
        assert_eq!(err(""), "expected name at 0");
        assert_eq!(err("a,"), "expected name at 2");
        assert_eq!(err(",b"), "expected name at 0");
        assert_eq!(err("a["), "expected name at 2");
        assert_eq!(err("a[b,c"), "expected RBRACE at 5");
        assert_eq!(err("a[]"), "expected name at 2");
        assert_eq!(err("a[b,,]"), "expected name at 4");
        assert_eq!(err("a]"), "expected EOF at 1");
        assert_eq!(err("a{}"), "expected number at 2");
        assert_eq!(err("a{b}"), "expected number at 2");
    }

    #[test]
    fn range_must_follow_brackets_and_appear_once() {
        assert_eq!(err("builds{0,5}[number]"), "expected EOF at 11");
        assert_eq!(err("jobs[x]{0,5}{0,5}"), "expected EOF at 12");
        assert_eq!(err("a{1}x"), "expected EOF at 4");
        assert_eq!(err("a{1}[b]"), "expected EOF at 4");
    }

    #[test]
    fn recorded_malformed_trees() {
        // 139, 140 and 142 in jenkins-sim/recordings: all HTTP 500 on Jenkins.
        assert_eq!(err("jobs[name"), "expected RBRACE at 9");
        assert_eq!(err("jobs[name]]"), "expected EOF at 10");
        assert_eq!(err("builds[number]{x}"), "expected number at 15");
    }

    #[test]
    fn malformed_ranges() {
        assert_eq!(err("a{1"), "expected COMMA at 3");
        assert_eq!(err("a{1,2"), "expected QRBRACE at 5");
        assert_eq!(err("a{1,"), "expected number at 4");
        assert_eq!(err("a{1,x}"), "expected number at 4");
        assert_eq!(err("a{,}"), "expected number at 3");
        assert_eq!(err("a{-1}"), "expected number at 2");
        assert_eq!(err("a{ 1}"), "expected number at 2");
        assert_eq!(err("a{1 }"), "expected number at 2");
        assert_eq!(err("a{+1}"), "expected number at 2");
        assert_eq!(err("a{1,2,3}"), "expected QRBRACE at 5");
        assert_eq!(err("a{1}{2}"), "expected EOF at 4");
    }

    #[test]
    fn number_overflow_is_a_number_format_exception() {
        let e = parse_tree("a{99999999999}").unwrap_err();
        assert_eq!(e.to_string(), "For input string: \"99999999999\"");
        assert_eq!(
            e.java_exception(),
            "java.lang.NumberFormatException: For input string: \"99999999999\""
        );
        assert_eq!(
            parse_tree("a]").unwrap_err().java_exception(),
            "java.lang.IllegalArgumentException: expected EOF at 1"
        );
    }

    #[test]
    fn positions_count_utf16_units_like_java() {
        assert_eq!(err("é,"), "expected name at 2");
        assert_eq!(err("😀,"), "expected name at 3");
        assert_eq!(err("é[😀"), "expected RBRACE at 4");
    }

    #[test]
    fn range_forms() {
        let r = |spec: &str| ok(spec).child("a").and_then(Tree::range);
        assert_eq!(r("a{,2}"), Some(Range { min: 0, max: 2 }));
        assert_eq!(r("a{2}"), Some(Range { min: 2, max: 3 }));
        assert_eq!(
            r("a{1,}"),
            Some(Range {
                min: 1,
                max: JAVA_INT_MAX
            })
        );
        assert_eq!(r("a{0,3}"), Some(Range { min: 0, max: 3 }));
        assert_eq!(r("a[b]{10,20}"), Some(Range { min: 10, max: 20 }));
        assert_eq!(r("a{007}"), Some(Range { min: 7, max: 8 }));
        // Reversed ranges parse; applying one fails (see Range::bounds).
        assert_eq!(r("a{3,1}"), Some(Range { min: 3, max: 1 }));
        assert_eq!(r("a"), None);
        assert_eq!(
            r("a{2147483647}"),
            Some(Range {
                min: JAVA_INT_MAX,
                max: 0
            })
        );
    }

    #[test]
    fn range_bounds() {
        let b = |min, max, len| Range { min, max }.bounds(len);
        assert_eq!(b(0, 3, 5), Ok((0, 3)));
        assert_eq!(b(1, 2, 5), Ok((1, 2)));
        assert_eq!(b(1, JAVA_INT_MAX, 5), Ok((1, 5)));
        assert_eq!(b(10, 20, 5), Ok((5, 5)));
        assert_eq!(b(2, 2, 5), Ok((2, 2)));
        assert_eq!(b(0, 2, 0), Ok((0, 0)));
        assert_eq!(b(3, 1, 5), Err("fromIndex(3) > toIndex(1)".to_owned()));
        assert_eq!(b(3, 1, 0), Err("fromIndex(3) > toIndex(1)".to_owned()));
        assert_eq!(Range::ALL.bounds(7), Ok((0, 7)));
    }

    #[test]
    fn whitespace_is_part_of_the_name() {
        let t = ok("jobs[name, color]");
        let jobs = t.child("jobs").expect("jobs");
        let names: Vec<_> = jobs.children().map(|(n, _)| n).collect();
        assert_eq!(names, [" color", "name"]);
        assert!(ok(" a ").child(" a ").is_some());
    }

    #[test]
    fn later_duplicate_replaces_earlier() {
        let t = ok("jobs[name],jobs[color]");
        assert_eq!(t.to_string(), "{jobs={color={}}}");
        let t = ok("a{0,1},a");
        assert_eq!(t.child("a").and_then(Tree::range), None);
    }

    #[test]
    fn wildcard_selects_any_name() {
        let t = ok("actions[*[*]],name");
        assert!(t.select("name").is_some());
        assert!(t.select("other").is_none());
        let actions = t.select("actions").expect("actions");
        let any = actions.select("causes").expect("wildcard");
        assert!(any.select("shortDescription").is_some());
        // An exact name wins over the wildcard.
        let t = ok("*[x],a[y]");
        assert!(t.select("a").and_then(|a| a.child("y")).is_some());
        assert!(t.select("b").and_then(|b| b.child("x")).is_some());
    }

    #[test]
    fn names_may_hold_any_other_character() {
        let t = ok("a.b:c/d@e=f*g");
        assert!(t.child("a.b:c/d@e=f*g").is_some());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let ok_spec = format!("{}a{}", "a[".repeat(MAX_NESTING), "]".repeat(MAX_NESTING));
        assert!(parse_tree(&ok_spec).is_ok());
        let deep = format!(
            "{}a{}",
            "a[".repeat(MAX_NESTING + 1),
            "]".repeat(MAX_NESTING + 1)
        );
        let e = parse_tree(&deep).unwrap_err();
        assert!(e
            .java_exception()
            .starts_with("java.lang.StackOverflowError"));
        // Long flat lists are fine: they are parsed iteratively.
        let wide = vec!["x"; 100_000].join(",");
        assert_eq!(ok(&wide).children().count(), 1);
    }
}
