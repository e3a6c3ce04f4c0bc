//! The few Java library behaviours the writers must reproduce: `Double.toString`,
//! `Class.getSimpleName` and `Introspector.decapitalize`.

/// `Double.toString(v)`: plain notation for 10^-3 <= |v| < 10^7, else `d.dddE±n`, and
/// always at least one digit after the point.
///
/// The digits are the shortest that round-trip (what JDK 19+ prints); Java 17's older
/// algorithm occasionally printed one or two more digits for rare values.
pub(crate) fn double_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let sci = format!("{:e}", v.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-3..7).contains(&exp) {
        let (int, frac) = if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                (format!("{digits:0<int_len$}"), "0".to_owned())
            } else {
                (digits[..int_len].to_owned(), digits[int_len..].to_owned())
            }
        } else {
            let zeros = "0".repeat((-exp - 1) as usize);
            ("0".to_owned(), format!("{zeros}{digits}"))
        };
        format!("{sign}{int}.{frac}")
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        format!("{sign}{first}.{rest}E{exp}")
    }
}

/// `Class.getSimpleName()` from a binary name: `hudson.model.Queue$WaitingItem` → `WaitingItem`.
///
/// A local class `Outer$1Local` is `Local`. An anonymous class `Outer$1` has no simple name
/// and stapler uses its superclass instead, which a name alone cannot tell: the enclosing
/// class's name stands in for it.
pub(crate) fn simple_name(class: &str) -> &str {
    let base = class.rsplit('.').next().unwrap_or(class);
    base.rsplit('$')
        .map(|seg| seg.trim_start_matches(|c: char| c.is_ascii_digit()))
        .find(|seg| !seg.is_empty())
        .unwrap_or(base)
}

/// `java.beans.Introspector.decapitalize`: `Hudson` → `hudson`, but `URLThing` stays.
pub(crate) fn decapitalize(name: &str) -> String {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    if let Some(second) = chars.clone().next() {
        if first.is_uppercase() && second.is_uppercase() {
            return name.to_owned();
        }
    }
    let mut lower = first.to_lowercase();
    let first = match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        // Java's char-based toLowerCase cannot expand one char into several.
        _ => first,
    };
    let mut out = String::with_capacity(name.len());
    out.push(first);
    out.push_str(chars.as_str());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_print_like_java() {
        let cases: &[(f64, &str)] = &[
            (0.0001, "1.0E-4"),
            (1.5, "1.5"),
            (2.0, "2.0"),
            (2.5, "2.5"),
            (100.0, "100.0"),
            (1.0e7, "1.0E7"),
            (12345678.9, "1.23456789E7"),
            (9999999.0, "9999999.0"),
            (0.001, "0.001"),
            (0.00099, "9.9E-4"),
            (0.5, "0.5"),
            (0.123, "0.123"),
            (123456.789, "123456.789"),
            (1.0e21, "1.0E21"),
            (1.0e-10, "1.0E-10"),
            (-3.25, "-3.25"),
            (-1.0e-5, "-1.0E-5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for (v, want) in cases {
            assert_eq!(double_to_string(*v), *want, "{v:?}");
        }
    }

    #[test]
    fn simple_names() {
        assert_eq!(simple_name("hudson.model.Hudson"), "Hudson");
        assert_eq!(simple_name("hudson.model.Queue$WaitingItem"), "WaitingItem");
        assert_eq!(simple_name("a.B$C$D"), "D");
        assert_eq!(simple_name("a.Outer$1Local"), "Local");
        assert_eq!(simple_name("a.Outer$1"), "Outer");
        assert_eq!(simple_name("NoPackage"), "NoPackage");
    }

    #[test]
    fn decapitalize_like_introspector() {
        assert_eq!(decapitalize("Hudson"), "hudson");
        assert_eq!(decapitalize("FreeStyleProject"), "freeStyleProject");
        assert_eq!(decapitalize("URLThing"), "URLThing");
        assert_eq!(decapitalize("X"), "x");
        assert_eq!(decapitalize("already"), "already");
        assert_eq!(decapitalize(""), "");
        assert_eq!(decapitalize("Éclair"), "éclair");
    }
}
