//! JSON output: a port of stapler's `JSONDataWriter`, including its pretty-printing state
//! machine, so whitespace matches Jenkins byte for byte.

use std::fmt::Write as _;

use super::Sink;

/// What the next `name`, value or opening bracket is written after.
pub(crate) struct JsonSink {
    out: String,
    need_comma: bool,
    /// Current nesting for pretty printing; `None` when compact.
    indent: Option<usize>,
}

impl JsonSink {
    pub(crate) fn new(pretty: bool) -> Self {
        JsonSink {
            out: String::new(),
            need_comma: false,
            indent: pretty.then_some(0),
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn comma(&mut self) {
        if self.need_comma {
            self.out.push(',');
            self.newline();
        }
        self.need_comma = true;
    }

    fn newline(&mut self) {
        if let Some(level) = self.indent {
            self.out.push('\n');
            self.out.extend(std::iter::repeat_n(' ', level * 2));
        }
    }

    fn data(&mut self, v: &str) {
        self.comma();
        self.out.push_str(v);
    }

    fn open(&mut self, symbol: char) {
        self.comma();
        self.out.push(symbol);
        self.need_comma = false;
        if let Some(level) = &mut self.indent {
            *level += 1;
        }
        self.newline();
    }

    fn close(&mut self, symbol: char) {
        if let Some(level) = &mut self.indent {
            *level = level.saturating_sub(1);
        }
        self.newline();
        self.need_comma = true;
        self.out.push(symbol);
    }
}

impl Sink for JsonSink {
    fn name(&mut self, name: &str) {
        self.comma();
        // Stapler writes names unescaped; exported names are Java identifiers or map keys.
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str(if self.indent.is_some() {
            "\" : "
        } else {
            "\":"
        });
        self.need_comma = false;
    }

    fn primitive(&mut self, text: &str) {
        self.data(text);
    }

    fn string(&mut self, s: &str) {
        self.comma();
        escape_into(&mut self.out, s);
    }

    fn null(&mut self) {
        self.data("null");
    }

    fn start_array(&mut self) {
        self.open('[');
    }

    fn end_array(&mut self) {
        self.close(']');
    }

    fn start_object(&mut self, class: Option<&str>) {
        self.open('{');
        if let Some(class) = class {
            self.name("_class");
            self.string(class);
        }
    }

    fn end_object(&mut self) {
        self.close('}');
    }
}

/// A JSON string literal as `JSONDataWriter.value` writes it on the recorded Jenkins: `"` and
/// `\` escaped with a backslash, every ISO control character (newline included: recording 42
/// shows `\u000a`) as a lower-case `\uXXXX`, everything else (non-ASCII too) as is.
fn escape_into(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(s: &str) -> String {
        let mut out = String::new();
        escape_into(&mut out, s);
        out
    }

    #[test]
    fn escapes_like_stapler() {
        assert_eq!(esc(r#"say "hi""#), r#""say \"hi\"""#);
        assert_eq!(esc(r"C:\dir"), r#""C:\\dir""#);
        assert_eq!(esc("a\nb\rc\td"), r#""a\u000ab\u000dc\u0009d""#);
        assert_eq!(
            esc("\u{0}\u{1}\u{8}\u{c}\u{1b}\u{1f}"),
            r#""\u0000\u0001\u0008\u000c\u001b\u001f""#
        );
        assert_eq!(esc("\u{7f}\u{85}\u{9f}"), r#""\u007f\u0085\u009f""#);
        assert_eq!(esc("/é✓😀\u{a0}"), "\"/é✓😀\u{a0}\"");
        assert_eq!(esc("</script>"), "\"</script>\"");
    }
}
