//! Which jobs a watch is about: inside a folder, and matching a name pattern (the glob
//! `jobs(filter: {namePattern})` uses), or one build exactly.

/// A glob on `text` (`*` any run, `?` one character; case-insensitive). Without wildcards
/// it matches a substring.
pub(crate) fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    if !p.iter().any(|c| *c == '*' || *c == '?') {
        return text.to_lowercase().contains(&pattern.to_lowercase());
    }
    // Iterative wildcard match with backtracking on the last `*`.
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

/// The builds a subscriber wants events of, on one controller.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BuildFilter {
    /// Only jobs inside this folder (full name), at any depth.
    pub(crate) folder: Option<String>,
    /// Glob on the job's name or full name.
    pub(crate) name_pattern: Option<String>,
    /// Only this build of this job.
    pub(crate) build: Option<(String, u32)>,
}

impl BuildFilter {
    /// One build, exactly.
    pub(crate) fn build(job: &str, number: u32) -> Self {
        BuildFilter {
            build: Some((job.to_string(), number)),
            ..BuildFilter::default()
        }
    }

    /// Whether events of `job` (its full name), build `number` if known, pass.
    pub(crate) fn matches(&self, job: &str, number: Option<u32>) -> bool {
        if let Some((j, n)) = &self.build {
            return j == job && number == Some(*n);
        }
        if let Some(folder) = &self.folder {
            let folder = folder.trim_matches('/');
            if !folder.is_empty() && !job.starts_with(&format!("{folder}/")) {
                return false;
            }
        }
        if let Some(p) = &self.name_pattern {
            let name = job.rsplit('/').next().unwrap_or(job);
            if !glob(p, name) && !glob(p, job) {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_patterns_and_single_builds() {
        let f = BuildFilter {
            folder: Some("team-a/".into()),
            name_pattern: Some("*-api".into()),
            build: None,
        };
        assert!(f.matches("team-a/services/orders-api", Some(3)));
        assert!(
            !f.matches("team-ab/orders-api", None),
            "a folder is a whole segment"
        );
        assert!(!f.matches("team-a/orders-web", None));
        let one = BuildFilter::build("a/b", 7);
        assert!(one.matches("a/b", Some(7)));
        assert!(!one.matches("a/b", Some(8)) && !one.matches("a/b", None));
        assert!(BuildFilter::default().matches("anything", None));
        assert!(glob("API", "platform/api-server"), "a substring, any case");
    }
}
