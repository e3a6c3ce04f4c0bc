//! HTML escaping, as Jenkins' pages and its step logs escape text.

/// Markup characters and their entities.
const MARKUP: [(char, &str); 3] = [('&', "&amp;"), ('<', "&lt;"), ('>', "&gt;")];

/// Markup characters and quotes.
const MARKUP_AND_QUOTES: [(char, &str); 5] = [
    ('&', "&amp;"),
    ('<', "&lt;"),
    ('>', "&gt;"),
    ('"', "&quot;"),
    ('\'', "&#39;"),
];

/// Text in an HTML page (Jelly escapes quotes too).
pub(crate) fn escape(s: &str) -> String {
    replace(s, &MARKUP_AND_QUOTES)
}

/// Text of a log rendered as HTML (the console annotator leaves quotes alone).
pub(crate) fn escape_markup(s: &str) -> String {
    replace(s, &MARKUP)
}

fn replace(s: &str, entities: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match entities.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    out
}
