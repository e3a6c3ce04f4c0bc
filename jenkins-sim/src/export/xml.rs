//! XML output: a port of stapler's `XMLDataWriter` (`api/xml`): elements named after
//! properties, arrays as repeated singularized elements, nulls omitted, no pretty printing.

use super::java::{decapitalize, simple_name};
use super::Sink;

/// Stapler keeps the current name and a stack of "inside an array" flags rather than a
/// tree, so names of nested objects are restored on `end_object`.
pub(crate) struct XmlSink {
    out: String,
    name: String,
    object_names: Vec<String>,
    is_array: Vec<bool>,
}

impl XmlSink {
    /// The root element is named after the top-level bean's class.
    pub(crate) fn new(root_class: &str) -> Self {
        XmlSink {
            out: String::new(),
            name: decapitalize(simple_name(root_class)),
            object_names: Vec::new(),
            is_array: vec![false],
        }
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn element_name(&self) -> String {
        let name = make_xml_name(&self.name);
        if self.is_array.last().copied().unwrap_or(false) {
            to_singular(&name)
        } else {
            name
        }
    }
}

impl Sink for XmlSink {
    fn name(&mut self, name: &str) {
        name.clone_into(&mut self.name);
    }

    fn primitive(&mut self, text: &str) {
        self.string(text);
    }

    fn string(&mut self, s: &str) {
        let n = self.element_name();
        self.out.push('<');
        self.out.push_str(&n);
        self.out.push('>');
        escape_into(&mut self.out, s);
        self.out.push_str("</");
        self.out.push_str(&n);
        self.out.push('>');
    }

    fn null(&mut self) {
        // Absence means null.
    }

    fn start_array(&mut self) {
        self.is_array.push(true);
    }

    fn end_array(&mut self) {
        self.is_array.pop();
    }

    fn start_object(&mut self, class: Option<&str>) {
        self.object_names.push(self.name.clone());
        let n = self.element_name();
        self.out.push('<');
        self.out.push_str(&n);
        self.is_array.push(false);
        if let Some(class) = class {
            // Stapler writes the class name raw, in single quotes.
            self.out.push_str(" _class='");
            self.out.push_str(class);
            self.out.push('\'');
        }
        self.out.push('>');
    }

    fn end_object(&mut self) {
        self.is_array.pop();
        if let Some(name) = self.object_names.pop() {
            self.name = name;
        }
        let n = self.element_name();
        self.out.push_str("</");
        self.out.push_str(&n);
        self.out.push('>');
    }
}

/// `Stapler.escape`: only `<`, `>` and `&` (text content, never attributes).
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
}

/// `XMLDataWriter.toSingular`: `…ies` → `…y`, then one trailing `s` dropped.
fn to_singular(name: &str) -> String {
    let name = match name.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => name.to_owned(),
    };
    match name.strip_suffix('s') {
        Some(stem) => stem.to_owned(),
        None => name,
    }
}

/// `XMLDataWriter.makeXmlName`: turns a property name or map key into an element name.
/// Works on UTF-16 units like Java, so characters outside the BMP (surrogates) are dropped.
fn make_xml_name(name: &str) -> String {
    let mut units: Vec<u16> = name.encode_utf16().collect();
    if units.is_empty() {
        return "_".to_owned();
    }
    if !is_name_start(units[0]) {
        if units.len() > 1 && is_name_start(units[1]) {
            units.remove(0);
        } else {
            units.insert(0, u16::from(b'_'));
        }
    }
    let mut kept = vec![units[0]];
    kept.extend(units[1..].iter().copied().filter(|u| is_name_char(*u)));
    String::from_utf16_lossy(&kept)
}

/// `XmlChars.isNameStart`. ASCII is exact; beyond it Unicode letter categories are
/// approximated with `char::is_alphabetic`.
fn is_name_start(unit: u16) -> bool {
    let Some(c) = char::from_u32(u32::from(unit)) else {
        return false;
    };
    c == '_' || c == ':' || is_letter(c)
}

/// `XmlChars.isNameChar`, with the same approximation beyond ASCII.
fn is_name_char(unit: u16) -> bool {
    let Some(c) = char::from_u32(u32::from(unit)) else {
        return false;
    };
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    }
    is_extender(c) || (c.is_alphanumeric() && !is_compatibility_char(c)) || c == '\u{387}'
}

fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    (c.is_alphabetic() && !is_compatibility_char(c))
        || matches!(c, '\u{2bb}'..='\u{2c1}' | '\u{559}' | '\u{6e5}' | '\u{6e6}')
}

/// The parts of `XmlChars.isCompatibilityChar` that are cheap to state.
fn is_compatibility_char(c: char) -> bool {
    matches!(c, '\u{aa}' | '\u{b5}' | '\u{ba}' | '\u{f900}'..='\u{ffff}')
}

fn is_extender(c: char) -> bool {
    matches!(
        c,
        '\u{b7}'
            | '\u{2d0}'
            | '\u{2d1}'
            | '\u{387}'
            | '\u{640}'
            | '\u{e46}'
            | '\u{ec6}'
            | '\u{3005}'
            | '\u{3031}'..='\u{3035}'
            | '\u{309d}'..='\u{309e}'
            | '\u{30fc}'..='\u{30fe}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_names() {
        assert_eq!(to_singular("jobs"), "job");
        assert_eq!(to_singular("properties"), "property");
        assert_eq!(to_singular("healthReport"), "healthReport");
        assert_eq!(to_singular("status"), "statu");
        assert_eq!(to_singular("series"), "sery");
        assert_eq!(to_singular("ss"), "s");
    }

    #[test]
    fn xml_names() {
        assert_eq!(make_xml_name("jobs"), "jobs");
        assert_eq!(make_xml_name("_class"), "_class");
        assert_eq!(make_xml_name(""), "_");
        assert_eq!(make_xml_name("1abc"), "abc");
        assert_eq!(make_xml_name("12"), "_12");
        assert_eq!(make_xml_name("-"), "_-");
        assert_eq!(make_xml_name("a b/c"), "abc");
        assert_eq!(
            make_xml_name("hudson.node_monitors.DiskSpaceMonitor"),
            "hudson.node_monitors.DiskSpaceMonitor"
        );
        assert_eq!(make_xml_name("a$b"), "ab");
        assert_eq!(make_xml_name("café"), "café");
        assert_eq!(make_xml_name("a😀b"), "ab");
    }

    #[test]
    fn text_escaping() {
        let mut out = String::new();
        escape_into(&mut out, "a<b>&c \"d\" 'e'");
        assert_eq!(out, "a&lt;b&gt;&amp;c \"d\" 'e'");
    }
}
