//! Every recording of the real Jenkins 2.516.2 in `jenkins-sim/recordings/`
//! goes through the client's parsing: JSON bodies into the wire type that
//! matches their path (re-serialised and compared, so no declared field is
//! lost), console text through the annotation stripper, error statuses
//! through `JenkinsError::from_status`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use majordomo::jenkins::log::{decode_console, ConsoleDecoder};
use majordomo::jenkins::wire;
use majordomo::jenkins::JenkinsError;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/jenkins-sim/recordings");

#[derive(Debug)]
struct IndexRow {
    method: String,
    status: u16,
    path: String,
}

#[derive(Debug)]
struct Recording {
    name: String,
    row: IndexRow,
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Recording {
    fn content_type(&self) -> String {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    /// The request path without its query.
    fn path(&self) -> &str {
        self.row.path.split('?').next().unwrap_or("")
    }
}

fn dir() -> PathBuf {
    let dir = PathBuf::from(DIR);
    assert!(
        dir.is_dir(),
        "the recordings directory {} is missing: this test must not be skipped",
        dir.display()
    );
    dir
}

fn index() -> BTreeMap<String, IndexRow> {
    let text = std::fs::read_to_string(dir().join("INDEX.tsv")).expect("INDEX.tsv");
    let mut rows = BTreeMap::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 5, "INDEX.tsv row {line:?}");
        rows.insert(
            cols[0].to_string(),
            IndexRow {
                method: cols[1].to_string(),
                status: cols[3].parse().expect("status column"),
                path: cols[4].to_string(),
            },
        );
    }
    rows
}

fn parse_http(name: &str, bytes: &[u8]) -> (u16, HeaderMap, Vec<u8>) {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("{name}: no blank line after the headers"));
    let head = std::str::from_utf8(&bytes[..split]).expect("headers are ASCII");
    let body = bytes[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{name}: bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        let (k, v) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{name}: bad header {line:?}"));
        headers.append(
            HeaderName::from_bytes(k.trim().as_bytes()).expect("header name"),
            HeaderValue::from_str(v.trim()).expect("header value"),
        );
    }
    (status, headers, body)
}

fn recordings() -> Vec<Recording> {
    let mut index = index();
    let mut out = Vec::new();
    let mut files = BTreeSet::new();
    for entry in std::fs::read_dir(dir()).expect("read recordings dir") {
        let path = entry.expect("dir entry").path();
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if file == "INDEX.tsv" || file == "README.md" {
            continue;
        }
        let name = file
            .strip_suffix(".http")
            .unwrap_or_else(|| panic!("unexpected file {file} in the recordings"))
            .to_string();
        files.insert(name.clone());
        let row = index
            .remove(&name)
            .unwrap_or_else(|| panic!("{name} is not in INDEX.tsv"));
        let bytes = std::fs::read(&path).expect("read recording");
        let (status, headers, body) = parse_http(&name, &bytes);
        assert_eq!(status, row.status, "{name}: status differs from INDEX.tsv");
        out.push(Recording {
            name,
            row,
            status,
            headers,
            body,
        });
    }
    assert!(
        index.is_empty(),
        "INDEX.tsv lists missing files: {:?}",
        index.keys()
    );
    assert!(files.len() > 90, "only {} recordings found", files.len());
    out
}

// ----- no-loss comparison ---------------------------------------------------

thread_local! {
    /// Declared wire field names that some recording contained.
    static SEEN: std::cell::RefCell<BTreeSet<String>> = const { std::cell::RefCell::new(BTreeSet::new()) };
    /// Declared wire field names that were absent from some recording.
    static DECLARED: std::cell::RefCell<BTreeSet<String>> = const { std::cell::RefCell::new(BTreeSet::new()) };
}

/// Checks that every field the wire type declared (present in `parsed`) and
/// the recording holds has the same value; returns the number of leaves compared.
fn assert_no_loss(name: &str, original: &Value, parsed: &Value, at: &str) -> usize {
    match (original, parsed) {
        (Value::Object(o), Value::Object(p)) => {
            let mut leaves = 0;
            for (key, pv) in p {
                let here = format!("{at}.{key}");
                match o.get(key) {
                    Some(ov) => {
                        SEEN.with(|seen| seen.borrow_mut().insert(key.clone()));
                        leaves += assert_no_loss(name, ov, pv, &here)
                    }
                    None => {
                        DECLARED.with(|declared| declared.borrow_mut().insert(key.clone()));
                        assert!(pv.is_null(), "{name}: {here} = {pv} appeared although the recording has no such field")
                    }
                }
            }
            leaves
        }
        (Value::Array(o), Value::Array(p)) => {
            assert_eq!(o.len(), p.len(), "{name}: {at} has a different length");
            o.iter()
                .zip(p)
                .enumerate()
                .map(|(i, (ov, pv))| assert_no_loss(name, ov, pv, &format!("{at}[{i}]")))
                .sum()
        }
        (Value::Number(o), Value::Number(p)) => {
            assert_eq!(o.as_f64(), p.as_f64(), "{name}: {at} number differs");
            1
        }
        (o, p) => {
            assert_eq!(o, p, "{name}: {at} differs (recording vs parsed)");
            1
        }
    }
}

fn check<T: DeserializeOwned + Serialize>(rec: &Recording) -> (T, usize) {
    let original: Value = serde_json::from_slice(&rec.body)
        .unwrap_or_else(|e| panic!("{}: body is not JSON: {e}", rec.name));
    let parsed: T = serde_json::from_slice(&rec.body).unwrap_or_else(|e| {
        panic!(
            "{}: does not parse as {}: {e}",
            rec.name,
            std::any::type_name::<T>()
        )
    });
    let back = serde_json::to_value(&parsed).expect("re-serialise");
    let leaves = assert_no_loss(&rec.name, &original, &back, "$");
    assert!(leaves > 0, "{}: nothing was compared", rec.name);
    (parsed, leaves)
}

fn json_strings(v: &Value, key: &str) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get(key).and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

// ----- per-kind dispatch ------------------------------------------------------

fn is_number(segment: &str) -> bool {
    !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit())
}

fn parse_json_recording(rec: &Recording) -> &'static str {
    let path = rec.path();
    let original: Value = serde_json::from_slice(&rec.body).expect("JSON");
    if let Some(object) = path.strip_suffix("/api/json") {
        let last = object.rsplit('/').next().unwrap_or("");
        return match object {
            "" => {
                let (root, _) = check::<wire::Root>(rec);
                assert_eq!(root.class.as_deref(), Some("hudson.model.Hudson"));
                let names: Vec<String> = root
                    .jobs
                    .iter()
                    .flatten()
                    .filter_map(|j| j.name.clone())
                    .collect();
                assert_eq!(
                    names,
                    json_strings(&original["jobs"], "name"),
                    "{}",
                    rec.name
                );
                if rec.row.path.contains("color") {
                    let colors: Vec<String> = root
                        .jobs
                        .iter()
                        .flatten()
                        .filter_map(|j| j.color.clone())
                        .collect();
                    assert_eq!(colors, json_strings(&original["jobs"], "color"));
                }
                "root"
            }
            "/whoAmI" => {
                let (me, _) = check::<wire::WhoAmI>(rec);
                assert_eq!(me.name.as_deref(), Some("admin"));
                assert_eq!(me.authenticated, Some(true));
                "whoAmI"
            }
            "/crumbIssuer" => {
                let (crumb, _) = check::<wire::CrumbIssuer>(rec);
                assert_eq!(crumb.crumb_request_field.as_deref(), Some("Jenkins-Crumb"));
                assert!(!format!("{crumb:?}").contains(crumb.crumb.as_deref().unwrap_or("-")));
                "crumbIssuer"
            }
            "/queue" => {
                let (queue, _) = check::<wire::Queue>(rec);
                let whys: Vec<String> = queue
                    .items
                    .iter()
                    .flatten()
                    .filter_map(|i| i.why.clone())
                    .collect();
                assert_eq!(whys, json_strings(&original["items"], "why"));
                assert!(whys.iter().any(|w| w.contains("already in progress")));
                assert!(queue.items.iter().flatten().any(|i| i.stuck == Some(true)));
                "queue"
            }
            _ if object.starts_with("/queue/item/") => {
                let (item, _) = check::<wire::QueueItem>(rec);
                assert_eq!(item.id, original["id"].as_i64());
                if item.class.as_deref() == Some("hudson.model.Queue$LeftItem") {
                    assert_eq!(item.executable.as_ref().and_then(|b| b.number), Some(5));
                } else {
                    assert_eq!(item.why.as_deref(), original["why"].as_str());
                }
                assert!(item.causes().count() > 0);
                "queue item"
            }
            "/computer" => {
                let (computers, _) = check::<wire::ComputerSet>(rec);
                let computer = &computers.computer.as_ref().expect("computers")[0];
                assert_eq!(computer.display_name.as_deref(), Some("Built-In Node"));
                assert_eq!(computer.offline, Some(false));
                assert_eq!(computer.num_executors, Some(3));
                "computer"
            }
            _ if is_number(last) => {
                let (build, _) = check::<wire::Build>(rec);
                assert_eq!(build.number, original["number"].as_u64().map(|n| n as u32));
                assert_eq!(build.result.as_deref(), original["result"].as_str());
                let sets = usize::from(original.get("changeSet").is_some_and(Value::is_object))
                    + original
                        .get("changeSets")
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len);
                assert_eq!(build.all_change_sets().count(), sets, "{}", rec.name);
                "build"
            }
            _ if object.starts_with("/job/") => {
                let (item, _) = check::<wire::Item>(rec);
                assert_eq!(item.name.as_deref(), original["name"].as_str());
                assert_eq!(item.color.as_deref(), original["color"].as_str());
                let numbers: Vec<u64> = item
                    .page_builds()
                    .iter()
                    .filter_map(|b| b.number.map(u64::from))
                    .collect();
                let list = original.get("builds").or(original.get("allBuilds"));
                let expected: Vec<u64> = list
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|b| b["number"].as_u64()).collect())
                    .unwrap_or_default();
                assert_eq!(numbers, expected, "{}", rec.name);
                "item"
            }
            _ => panic!("{}: no wire type for {path}", rec.name),
        };
    }
    if path.ends_with("/wfapi/describe") {
        let before = path
            .trim_end_matches("/wfapi/describe")
            .rsplit('/')
            .next()
            .unwrap_or("");
        if path.contains("/execution/node/") {
            let (node, _) = check::<wire::StageNodeExt>(rec);
            assert_eq!(node.name.as_deref(), original["name"].as_str());
            assert_eq!(node.status.as_deref(), original["status"].as_str());
            return "wfapi node";
        }
        if is_number(before) {
            let (run, _) = check::<wire::RunExt>(rec);
            let names: Vec<String> = run
                .stages
                .iter()
                .flatten()
                .filter_map(|s| s.name.clone())
                .collect();
            assert_eq!(names, json_strings(&original["stages"], "name"));
            let statuses: Vec<String> = run
                .stages
                .iter()
                .flatten()
                .filter_map(|s| s.status.clone())
                .collect();
            assert_eq!(statuses, json_strings(&original["stages"], "status"));
            assert_eq!(
                run.is_running(),
                matches!(
                    original["status"].as_str(),
                    Some("IN_PROGRESS" | "PAUSED_PENDING_INPUT")
                )
            );
            return "wfapi run";
        }
        let (job, _) = check::<wire::JobExt>(rec);
        assert_eq!(job.name.as_deref(), original["name"].as_str());
        return "wfapi job";
    }
    if path.ends_with("/wfapi/runs") {
        let (runs, _) = check::<Vec<wire::RunExt>>(rec);
        assert_eq!(runs.len(), original.as_array().map_or(0, Vec::len));
        return "wfapi runs";
    }
    if path.ends_with("/wfapi/log") {
        let (log, _) = check::<wire::NodeLogExt>(rec);
        assert!(log.text.is_some());
        return "wfapi log";
    }
    if path.ends_with("/wfapi/changesets") {
        let (sets, _) = check::<Vec<wire::ChangeSetExt>>(rec);
        assert_eq!(sets[0].commits.as_ref().map(Vec::len), Some(2));
        return "wfapi changesets";
    }
    if path.ends_with("/wfapi/artifacts") {
        // The recorded run has no artifacts: `[]` compares nothing, so parse only.
        let parsed: Vec<wire::ArtifactExt> = serde_json::from_slice(&rec.body).expect("artifacts");
        assert_eq!(parsed.len(), original.as_array().map_or(0, Vec::len));
        return "wfapi artifacts";
    }
    if path.ends_with("/wfapi/pendingInputActions") {
        let (inputs, _) = check::<Vec<wire::PendingInputActionExt>>(rec);
        assert_eq!(inputs[0].message.as_deref(), Some("Deploy to production?"));
        return "wfapi pendingInputActions";
    }
    panic!("{}: no wire type for JSON at {path}", rec.name);
}

fn expected_error_code(status: u16) -> &'static str {
    match status {
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        502 | 503 => "UNAVAILABLE",
        500..=599 => "UPSTREAM_ERROR",
        _ => "BAD_REQUEST",
    }
}

/// What the hint for a recorded status must point the reader at.
fn expected_hint_word(status: u16) -> &'static str {
    match status {
        401 => "token",
        403 => "permission",
        404 => "name",
        500 => "log",
        _ => "request",
    }
}

#[test]
fn every_recording_parses() {
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    for rec in recordings() {
        let ct = rec.content_type();
        let kind: &'static str = if !(200..300).contains(&rec.status) {
            let error = JenkinsError::from_status(rec.status, &rec.headers, "recorded");
            assert_eq!(
                error.code(),
                expected_error_code(rec.status),
                "{}",
                rec.name
            );
            assert_eq!(error.status(), Some(rec.status), "{}", rec.name);
            let word = expected_hint_word(rec.status);
            assert!(
                error.hint().contains(word),
                "{}: the hint {:?} should point at {word:?}",
                rec.name,
                error.hint()
            );
            assert_eq!(error.connection(), "recorded");
            "error"
        } else if rec.body.is_empty() {
            match rec.row.method.as_str() {
                "POST" => {
                    assert_eq!(rec.status, 201, "{}", rec.name);
                    let location = rec
                        .headers
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    assert!(
                        location.contains("/queue/item/"),
                        "{}: {location}",
                        rec.name
                    );
                    "trigger"
                }
                _ if rec.path().ends_with("/progressiveText") => {
                    assert_eq!(decode_console(&rec.body), "");
                    "progressive text"
                }
                other => panic!("{}: empty {other} body", rec.name),
            }
        } else if ct.starts_with("application/json") {
            parse_json_recording(&rec)
        } else if ct.starts_with("text/plain") {
            let text = decode_console(&rec.body);
            assert!(!text.contains('\x1b'), "{}: annotation left", rec.name);
            assert!(!text.contains("\r\n"), "{}: CRLF left", rec.name);
            assert!(text.ends_with('\n'), "{}", rec.name);
            if rec.path().ends_with("/consoleText") {
                "console text"
            } else if rec.path().ends_with("/logText/progressiveText") {
                assert!(rec.headers.contains_key("x-text-size"), "{}", rec.name);
                "progressive text"
            } else {
                panic!("{}: unexpected text at {}", rec.name, rec.path())
            }
        } else if ct.starts_with("text/html") {
            assert!(
                rec.path().ends_with("/progressiveHtml") || rec.path() == "/login",
                "{}: unexpected HTML at {}",
                rec.name,
                rec.path()
            );
            "html page"
        } else if ct.starts_with("application/xml") {
            assert!(rec.path().ends_with("/api/xml") || rec.path().ends_with("/config.xml"));
            "xml"
        } else {
            panic!("{}: unhandled content type {ct:?}", rec.name)
        };
        *kinds.entry(kind).or_default() += 1;
    }
    // A declared field that no recording ever contains is either outside
    // what was recorded (listed here, with the reason) or misnamed.
    let never_seen: BTreeSet<String> =
        DECLARED.with(|d| SEEN.with(|s| d.borrow().difference(&s.borrow()).cloned().collect()));
    let expected_absent: BTreeSet<String> = [
        // Test result action counts: the junit plugin was not installed.
        "failCount",
        "skipCount",
        "totalCount",
        "urlName",
        // Upstream and remote causes: every recorded build was started by a user or branch indexing.
        "upstreamBuild",
        "upstreamProject",
        "upstreamUrl",
        "addr",
        "note",
        // wfapi: no describe of a run with changes, no SCM browser configured.
        "changesets",
        "commitUrl",
    ]
    .iter()
    .map(|s: &&str| s.to_string())
    .collect();
    assert_eq!(
        never_seen, expected_absent,
        "declared wire fields never found in any recording"
    );
    for kind in [
        "root",
        "item",
        "build",
        "queue",
        "queue item",
        "computer",
        "whoAmI",
        "crumbIssuer",
        "wfapi run",
        "wfapi runs",
        "wfapi job",
        "wfapi node",
        "wfapi log",
        "wfapi changesets",
        "wfapi artifacts",
        "wfapi pendingInputActions",
        "console text",
        "progressive text",
        "error",
        "trigger",
    ] {
        assert!(
            kinds.contains_key(kind),
            "no recording of kind {kind}: {kinds:?}"
        );
    }
}

fn body_of(name: &str) -> Vec<u8> {
    let path: PathBuf = Path::new(DIR).join(format!("{name}.http"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parse_http(name, &bytes).2
}

#[test]
fn progressive_text_matches_console_text() {
    let console = String::from_utf8(body_of("60-console-text-freestyle")).expect("utf-8");
    let raw = body_of("62-progressiveText-start0-completed");
    assert!(raw.contains(&0x1b), "the raw log carries annotations");
    assert_eq!(decode_console(&raw), console);
    // A start beyond the end answers the whole log again.
    assert_eq!(
        decode_console(&body_of("66-progressiveText-start-beyond-end")),
        console
    );
}

#[test]
fn annotation_stripping_across_every_chunk_size() {
    for name in [
        "62-progressiveText-start0-completed",
        "64-progressiveText-start0-in-progress",
        "70-progressiveText-pipeline-waiting-input",
    ] {
        let raw = body_of(name);
        let whole = decode_console(&raw);
        assert!(!whole.contains('\x1b'), "{name}");
        for size in 1..=97 {
            let mut decoder = ConsoleDecoder::new();
            let mut out = Vec::new();
            for chunk in raw.chunks(size) {
                decoder.push(chunk, &mut out);
            }
            decoder.finish(&mut out);
            assert_eq!(
                String::from_utf8_lossy(&out),
                whole,
                "{name}, chunks of {size}"
            );
        }
    }
    let pipeline = decode_console(&body_of("64-progressiveText-start0-in-progress"));
    assert!(pipeline.contains("[Pipeline] { (Soak)\n[Pipeline] echo\nsleeping for a long time\n"));
}

#[test]
fn error_recordings_carry_details() {
    let recs = recordings();
    let get = |name: &str| recs.iter().find(|r| r.name == name).expect(name);

    let nobody = get("133-error-user-without-permission-403");
    match JenkinsError::from_status(nobody.status, &nobody.headers, "ci") {
        JenkinsError::Forbidden {
            required_permission,
            authenticated_as,
            ..
        } => {
            assert_eq!(
                required_permission.as_deref(),
                Some("hudson.model.Hudson.Read")
            );
            assert_eq!(authenticated_as.as_deref(), Some("nobody"));
        }
        other => panic!("expected FORBIDDEN, got {other:?}"),
    }
    let anonymous = get("132-error-anonymous-no-read");
    let error = JenkinsError::from_status(anonymous.status, &anonymous.headers, "ci");
    assert_eq!(error.code(), "FORBIDDEN");
    assert_eq!(
        error.hint(),
        "the user lacks Overall/Read or Job/Read permission"
    );

    let wrong = get("131-error-wrong-token");
    let error = JenkinsError::from_status(wrong.status, &wrong.headers, "ci");
    assert_eq!(error.code(), "UNAUTHORIZED");
    assert_eq!(
        error.hint(),
        "check the username and API token; the token may have been revoked"
    );

    let bad_tree = get("139-error-bad-tree-unbalanced");
    let error = JenkinsError::from_status(bad_tree.status, &bad_tree.headers, "ci");
    assert_eq!(
        (error.code(), error.status()),
        ("UPSTREAM_ERROR", Some(500))
    );

    for name in [
        "136-error-missing-job-404",
        "138-error-missing-build-404",
        "116-wfapi-on-freestyle-job",
    ] {
        let rec = get(name);
        assert_eq!(
            JenkinsError::from_status(rec.status, &rec.headers, "ci").code(),
            "NOT_FOUND"
        );
    }
    for name in [
        "151-error-post-build-disabled-job",
        "152-error-build-without-params-on-param-job",
        "153-error-method-get-on-build",
    ] {
        let rec = get(name);
        assert_eq!(
            JenkinsError::from_status(rec.status, &rec.headers, "ci").code(),
            "BAD_REQUEST"
        );
    }
}

#[test]
fn html_error_bodies_are_not_json() {
    // What a client gets when a login page or proxy answers 200 with HTML:
    // the serde error names a position and never quotes the page.
    let login = body_of("09-login-page-headers-anonymous");
    let error = serde_json::from_slice::<wire::Root>(&login).expect_err("HTML is not JSON");
    let message = error.to_string();
    assert!(
        !message.contains("<html") && !message.contains("Sign in"),
        "{message}"
    );
}
