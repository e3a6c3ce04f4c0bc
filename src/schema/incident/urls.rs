//! Reading a Jenkins URL a responder pastes: which configured controller serves it (host,
//! port and context path) and which job, build or stage it names, in every form the UI
//! links to: classic pages (views, folders, multibranch branches, permalinks such as
//! `lastFailedBuild`, console, changes, tests, artifacts, `execution/node/N`), Pipeline
//! Graph View (`pipeline-overview/?selected-node=N`, `pipeline-graph`, `pipeline-console`),
//! Blue Ocean (`blue/organizations/ORG/PIPELINE/detail/NAME/RUN/pipeline/NODE`) and Blue
//! Ocean's REST API. Pure: nothing here fetches.

use percent_encoding::percent_decode_str;
use reqwest::Url;

/// Which build a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BuildSel {
    /// By number.
    Number(u32),
    /// By permalink (`lastBuild`, `lastFailedBuild`, …), as Jenkins names it.
    Permalink(&'static str),
}

/// What a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// A job (or folder) by full name.
    Job(String),
    /// A build of a job.
    Build(String, BuildSel),
    /// A flow node (a stage, usually) of a build.
    Stage(String, BuildSel, String),
}

/// Why a URL names nothing Majordomo knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// Not a URL at all.
    NotAUrl,
    /// No configured controller serves that host, port and path.
    NoController,
    /// The controller's, but not a job, build or stage page.
    NotAnItem,
}

/// The permalinks a build may be named by.
const PERMALINKS: [&str; 8] = [
    "lastBuild",
    "lastSuccessfulBuild",
    "lastFailedBuild",
    "lastCompletedBuild",
    "lastStableBuild",
    "lastUnstableBuild",
    "lastUnsuccessfulBuild",
    "firstBuild",
];

/// Pipeline Graph View pages of a run, which select a node with `?selected-node=`.
const GRAPH_PAGES: [&str; 3] = ["pipeline-overview", "pipeline-graph", "pipeline-console"];

/// The port a URL uses, given or by its scheme.
fn port(u: &Url) -> Option<u16> {
    u.port_or_known_default()
}

/// Which of `bases` (connection name, base URL) serves `url`, and what it names there.
/// The longest matching context path wins; the scheme is not compared (a proxy may end
/// TLS in front of the controller).
pub(crate) fn resolve_url<'b>(
    url: &str,
    bases: &'b [(String, String)],
) -> Result<(&'b str, Target), UrlProblem> {
    let text = url.trim();
    // Without a scheme, `host:8080/job/x` parses as the scheme `host`: only http(s) URLs
    // count as given, anything else is read again as a host without one.
    let parsed = Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .or_else(|| Url::parse(&format!("http://{text}")).ok())
        .ok_or(UrlProblem::NotAUrl)?;
    let host = parsed.host_str().ok_or(UrlProblem::NotAUrl)?;
    let path = parsed.path();
    let mut best: Option<(&str, usize)> = None;
    for (name, base) in bases {
        let Ok(b) = Url::parse(base) else { continue };
        let same_host = b.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host));
        let prefix = b.path().trim_end_matches('/');
        let under = path == prefix || path.starts_with(&format!("{prefix}/"));
        let longer = best.is_none_or(|(_, len)| prefix.len() > len);
        if same_host && port(&b) == port(&parsed) && under && longer {
            best = Some((name.as_str(), prefix.len()));
        }
    }
    let (conn, cut) = best.ok_or(UrlProblem::NoController)?;
    let segments: Vec<String> = path[cut..]
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let selected = parsed
        .query_pairs()
        .find(|(k, _)| k == "selected-node")
        .map(|(_, v)| v.into_owned());
    let target = match segments.first().map(String::as_str) {
        Some("blue") => blue(&segments[1..]),
        _ => classic(&segments, selected.as_deref()),
    };
    target.map(|t| (conn, t)).ok_or(UrlProblem::NotAnItem)
}

/// A build number segment.
fn number(s: &str) -> Option<u32> {
    s.parse().ok().filter(|n| *n > 0)
}

/// A build selector segment: a number or a permalink.
fn build_sel(s: &str) -> Option<BuildSel> {
    number(s).map(BuildSel::Number).or_else(|| {
        PERMALINKS
            .iter()
            .find(|p| **p == s)
            .map(|p| BuildSel::Permalink(p))
    })
}

/// Classic pages: `[view/V/…]job/A/[view/V/]job/B/[N|permalink]/[rest]`.
fn classic(segs: &[String], selected: Option<&str>) -> Option<Target> {
    let mut names = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        match segs[i].as_str() {
            "job" if i + 1 < segs.len() => {
                names.push(segs[i + 1].clone());
                i += 2;
            }
            "view" if i + 1 < segs.len() => i += 2,
            // A user's own views: `me/my-views/view/V/…`, `user/ID/my-views/view/V/…`.
            "me" if names.is_empty() => i += 1,
            "user" if names.is_empty() => i += 2,
            "my-views" if names.is_empty() => i += 1,
            _ => break,
        }
    }
    if names.is_empty() {
        return None;
    }
    let job = names.join("/");
    let Some(build) = segs.get(i).and_then(|s| build_sel(s)) else {
        return Some(Target::Job(job));
    };
    let rest = &segs[i + 1..];
    let node = match rest {
        [execution, node, id, ..] if execution == "execution" && node == "node" => Some(id.clone()),
        [page, ..] if GRAPH_PAGES.contains(&page.as_str()) => selected.map(str::to_string),
        _ => None,
    };
    Some(match node {
        Some(id) => Target::Stage(job, build, id),
        None => Target::Build(job, build),
    })
}

/// A branch's item name from its plain name, as multibranch projects encode it.
fn branch_item(name: &str) -> String {
    name.replace('%', "%25").replace('/', "%2F")
}

/// Blue Ocean: `organizations/ORG/PIPELINE[/detail/NAME/RUN[/pipeline/NODE]]`, where
/// PIPELINE is the full name with `/` encoded; or its REST API,
/// `rest/organizations/ORG/pipelines/A/pipelines/B[/branches/C][/runs/N[/nodes/ID]]`.
fn blue(segs: &[String]) -> Option<Target> {
    match segs {
        [rest, orgs, _org, tail @ ..] if rest == "rest" && orgs == "organizations" => {
            blue_rest(tail)
        }
        [orgs, _org, pipeline, tail @ ..] if orgs == "organizations" => {
            let pipeline = pipeline.trim_matches('/').to_string();
            match tail {
                [detail, name, run, more @ ..] if detail == "detail" => {
                    let own = pipeline.rsplit('/').next() == Some(name.as_str());
                    let job = if own {
                        pipeline
                    } else {
                        format!("{pipeline}/{}", branch_item(name))
                    };
                    let build = build_sel(run)?;
                    Some(match more {
                        [page, node, ..] if page == "pipeline" => {
                            Target::Stage(job, build, node.clone())
                        }
                        _ => Target::Build(job, build),
                    })
                }
                _ => Some(Target::Job(pipeline)),
            }
        }
        _ => None,
    }
}

fn blue_rest(segs: &[String]) -> Option<Target> {
    let mut names = Vec::new();
    let mut build = None;
    let mut node = None;
    for pair in segs.chunks(2) {
        match pair {
            [kind, name] if kind == "pipelines" && build.is_none() => names.push(name.clone()),
            [kind, name] if kind == "branches" && build.is_none() => names.push(branch_item(name)),
            [kind, run] if kind == "runs" => build = Some(build_sel(run)?),
            [kind, id] if kind == "nodes" || kind == "steps" => {
                node.get_or_insert_with(|| id.clone());
            }
            _ => break,
        }
    }
    if names.is_empty() {
        return None;
    }
    let job = names.join("/");
    Some(match (build, node) {
        (Some(b), Some(n)) => Target::Stage(job, b, n),
        (Some(b), None) => Target::Build(job, b),
        (None, _) => Target::Job(job),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bases() -> Vec<(String, String)> {
        vec![
            ("root".into(), "http://ci.example.com:8080/".into()),
            ("ctx".into(), "https://ci.example.com/jenkins/".into()),
            ("deep".into(), "https://ci.example.com/jenkins/team/".into()),
        ]
    }

    fn at(url: &str) -> (String, Target) {
        let b = bases();
        let (c, t) = resolve_url(url, &b).unwrap_or_else(|e| panic!("{url}: {e:?}"));
        (c.to_string(), t)
    }

    fn build(job: &str, n: u32) -> Target {
        Target::Build(job.into(), BuildSel::Number(n))
    }

    #[test]
    fn classic_pages_name_jobs_builds_and_stages() {
        let job = |j: &str| Target::Job(j.into());
        let cases = [
            ("http://ci.example.com:8080/job/a/", job("a")),
            ("http://ci.example.com:8080/job/a/job/b/configure", job("a/b")),
            ("http://ci.example.com:8080/view/All/job/a/job/b/", job("a/b")),
            ("http://CI.example.com:8080/job/a/view/x/job/b/42/", build("a/b", 42)),
            ("http://ci.example.com:8080/me/my-views/view/all/job/a/7/console", build("a", 7)),
            ("http://ci.example.com:8080/job/a/job/b/42/consoleFull", build("a/b", 42)),
            ("http://ci.example.com:8080/job/a/42/testReport/junit/x/", build("a", 42)),
            ("http://ci.example.com:8080/job/a/42/artifact/out/x.jar", build("a", 42)),
            ("http://ci.example.com:8080/job/b%20c/3/changes", build("b c", 3)),
            (
                "http://ci.example.com:8080/job/repo/job/feature%252Ffoo/2/",
                build("repo/feature%2Ffoo", 2),
            ),
            (
                "http://ci.example.com:8080/job/a/lastFailedBuild/console",
                Target::Build("a".into(), BuildSel::Permalink("lastFailedBuild")),
            ),
            (
                "http://ci.example.com:8080/job/a/42/execution/node/13/log/",
                Target::Stage("a".into(), BuildSel::Number(42), "13".into()),
            ),
            (
                "http://ci.example.com:8080/job/a/42/pipeline-overview/?selected-node=25",
                Target::Stage("a".into(), BuildSel::Number(42), "25".into()),
            ),
            (
                "http://ci.example.com:8080/job/a/42/pipeline-console/?start-byte=0&selected-node=7",
                Target::Stage("a".into(), BuildSel::Number(42), "7".into()),
            ),
            ("http://ci.example.com:8080/job/a/42/pipeline-graph/", build("a", 42)),
        ];
        for (url, want) in cases {
            assert_eq!(at(url), ("root".to_string(), want), "{url}");
        }
    }

    #[test]
    fn blue_ocean_urls_name_pipelines_runs_and_nodes() {
        let cases = [
            (
                "http://ci.example.com:8080/blue/organizations/jenkins/a%2Fb/detail/b/42/pipeline/13",
                Target::Stage("a/b".into(), BuildSel::Number(42), "13".into()),
            ),
            (
                "http://ci.example.com:8080/blue/organizations/jenkins/a%2Fb/detail/b/42/pipeline",
                build("a/b", 42),
            ),
            (
                "http://ci.example.com:8080/blue/organizations/jenkins/a%2Fb/detail/b/42/tests",
                build("a/b", 42),
            ),
            (
                "http://ci.example.com:8080/blue/organizations/jenkins/web%2Fweb-app/detail/feature%2Flogin/3/pipeline",
                build("web/web-app/feature%2Flogin", 3),
            ),
            (
                "http://ci.example.com:8080/blue/organizations/jenkins/a%2Fb/activity",
                Target::Job("a/b".into()),
            ),
            (
                "http://ci.example.com:8080/blue/rest/organizations/jenkins/pipelines/web/pipelines/app/branches/PR-4/runs/3/nodes/21/",
                Target::Stage("web/app/PR-4".into(), BuildSel::Number(3), "21".into()),
            ),
        ];
        for (url, want) in cases {
            assert_eq!(at(url), ("root".to_string(), want), "{url}");
        }
    }

    #[test]
    fn the_longest_context_path_on_the_same_host_and_port_wins() {
        assert_eq!(at("https://ci.example.com/jenkins/job/x/1/").0, "ctx");
        assert_eq!(at("https://ci.example.com/jenkins/team/job/x/").0, "deep");
        // http on 443 is still port 443: a proxy may end TLS; the port decides.
        assert_eq!(at("http://ci.example.com:443/jenkins/job/x/").0, "ctx");
        // Without a scheme.
        assert_eq!(at("ci.example.com:8080/job/x/").0, "root");
        let b = bases();
        assert_eq!(
            resolve_url("https://ci.example.com/other/job/x/", &b),
            Err(UrlProblem::NoController)
        );
        assert_eq!(
            resolve_url("http://elsewhere:8080/job/x/", &b),
            Err(UrlProblem::NoController)
        );
        assert_eq!(
            resolve_url("http://ci.example.com:8080/manage/", &b),
            Err(UrlProblem::NotAnItem)
        );
        assert_eq!(resolve_url("::", &b), Err(UrlProblem::NotAUrl));
    }
}
