//! Jenkins URL paths: item paths built from a job's `fullName` exactly as
//! Jenkins builds them (`Util.rawEncode` per segment), and query values encoded
//! the way servlet containers accept them.
//!
//! All paths here are relative (no leading `/`), so they append under the
//! connection's base URL and keep its context path (e.g. `/jenkins/`).

use std::fmt::Write as _;

use super::tree::Tree;

/// A job full name that cannot be turned into a URL path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid job full name {full_name:?}: {reason}")]
pub(crate) struct InvalidFullName {
    /// The rejected name.
    pub(crate) full_name: String,
    /// Why it was rejected.
    pub(crate) reason: &'static str,
}

/// Percent-encodes one item name exactly as Jenkins' `hudson.Util.rawEncode`:
/// keeps `A-Za-z0-9` and ``!$&'()*+,-.=@_``, encodes every other byte of the
/// UTF-8 form as `%XX` with upper-case hex. `%` itself becomes `%25`, so the
/// multibranch item `feature%2Ffoo` becomes `feature%252Ffoo`.
pub(crate) fn raw_encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        let keep = byte.is_ascii_alphanumeric()
            || matches!(
                byte,
                b'!' | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b'-'
                    | b'.'
                    | b'='
                    | b'@'
                    | b'_'
            );
        if keep {
            out.push(char::from(byte));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// The relative path of an item: `a/b/c` becomes `job/a/job/b/job/c/`.
/// The empty name (or `/`) is the root and yields `""`.
///
/// Empty segments from stray slashes are ignored. `.` and `..` are rejected:
/// Jenkins forbids them as names, and URL normalisation would turn them into
/// navigation outside the item tree.
pub(crate) fn job_path(full_name: &str) -> Result<String, InvalidFullName> {
    let mut out = String::new();
    for segment in full_name.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Err(InvalidFullName {
                full_name: full_name.to_string(),
                reason: "'.' and '..' are not item names",
            });
        }
        out.push_str("job/");
        out.push_str(&raw_encode(segment));
        out.push('/');
    }
    Ok(out)
}

/// The relative path of a build: `job/a/job/b/42/`.
pub(crate) fn build_path(full_name: &str, number: u32) -> Result<String, InvalidFullName> {
    let job = job_path(full_name)?;
    if job.is_empty() {
        return Err(InvalidFullName {
            full_name: full_name.to_string(),
            reason: "a build needs a job name",
        });
    }
    Ok(format!("{job}{number}/"))
}

/// Percent-encodes a query value. Brackets and braces are encoded because
/// servlet containers (Tomcat) and proxies reject them raw; Jenkins decodes.
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        let keep =
            byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~' | b',' | b'*');
        if keep {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// `<item_path>api/json`, plus `?tree=` when `tree` is not empty. Never `depth=`.
pub(crate) fn api_json(item_path: &str, tree: &Tree) -> String {
    if tree.is_empty() {
        format!("{item_path}api/json")
    } else {
        format!(
            "{item_path}api/json?tree={}",
            encode_query_value(&tree.render())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_encode_matches_jenkins() {
        assert_eq!(raw_encode("hello-freestyle"), "hello-freestyle");
        assert_eq!(raw_encode("my job"), "my%20job");
        assert_eq!(raw_encode("feature%2Ffoo"), "feature%252Ffoo");
        assert_eq!(raw_encode("a+b(c),d'e!$&*=@_."), "a+b(c),d'e!$&*=@_.");
        assert_eq!(
            raw_encode("\"#%/:;<>?[\\]^`{|}~"),
            "%22%23%25%2F%3A%3B%3C%3E%3F%5B%5C%5D%5E%60%7B%7C%7D%7E"
        );
        assert_eq!(raw_encode("café"), "caf%C3%A9");
        assert_eq!(raw_encode("日本"), "%E6%97%A5%E6%9C%AC");
    }

    #[test]
    fn job_paths() {
        assert_eq!(job_path("").unwrap(), "");
        assert_eq!(job_path("a").unwrap(), "job/a/");
        assert_eq!(
            job_path("team-a/services/api-build").unwrap(),
            "job/team-a/job/services/job/api-build/"
        );
        assert_eq!(
            job_path("team-a/multibranch-demo/feature%2Ffoo").unwrap(),
            "job/team-a/job/multibranch-demo/job/feature%252Ffoo/"
        );
        assert_eq!(job_path("/a//b/").unwrap(), "job/a/job/b/");
        assert_eq!(
            job_path("my folder/naïve job").unwrap(),
            "job/my%20folder/job/na%C3%AFve%20job/"
        );
        assert!(job_path("a/../b").is_err());
        assert!(job_path(".").is_err());
        assert_eq!(build_path("a/b", 42).unwrap(), "job/a/job/b/42/");
        assert!(build_path("", 1).is_err());
    }

    #[test]
    fn api_json_encodes_the_tree() {
        assert_eq!(
            api_json("job/a/", &Tree::parse("jobs[name,url]{0,5}")),
            "job/a/api/json?tree=jobs%5Bname,url%5D%7B0,5%7D"
        );
        assert_eq!(api_json("", &Tree::new()), "api/json");
    }
}
