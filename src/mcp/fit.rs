//! Answers sized for a model: a tool's JSON answer is written compactly and, when it is
//! larger than the byte budget, cut where it matters least (the tails of its longest
//! lists, then its longest strings) with an explicit marker: `truncated`, what was left
//! out (`omitted`, by path), and the tool's next step (`next`).

use serde_json::{Map, Value};

/// Bytes kept free for the marker itself (`truncated`, `omitted`, `next`).
const MARKER_RESERVE: usize = 600;
/// A string is never cut below this many bytes.
const MIN_STRING: usize = 64;

/// Where something was cut and how much.
#[derive(Debug, Default)]
struct Cuts {
    /// `path` → list items left out.
    items: Map<String, Value>,
    /// `path` → bytes left out of a string.
    bytes: Map<String, Value>,
}

/// `answer` as compact JSON of at most `budget` bytes. When it has to be cut, the answer
/// (an object) gains `truncated: true`, `omitted` and, if `next` is given, `next`.
pub(crate) fn fit(mut answer: Value, budget: usize, next: Option<&str>) -> String {
    let text = answer.to_string();
    if text.len() <= budget {
        return text;
    }
    let target = budget.saturating_sub(MARKER_RESERVE).max(MIN_STRING);
    let mut cuts = Cuts::default();
    let mut size = text.len();
    // Each round shrinks the largest list (or, when no list can shrink, the largest
    // string) in proportion to the excess, so a few rounds suffice.
    for _ in 0..64 {
        if size <= target {
            break;
        }
        let excess = size - target;
        if !shrink_largest_list(&mut answer, excess, &mut cuts)
            && !shrink_largest_string(&mut answer, excess, &mut cuts)
        {
            break;
        }
        size = answer.to_string().len();
    }
    if let Value::Object(map) = &mut answer {
        map.insert("truncated".into(), Value::Bool(true));
        let mut omitted = Map::new();
        if !cuts.items.is_empty() {
            omitted.insert("items".into(), Value::Object(cuts.items));
        }
        if !cuts.bytes.is_empty() {
            omitted.insert("bytes".into(), Value::Object(cuts.bytes));
        }
        map.insert("omitted".into(), Value::Object(omitted));
        if let Some(next) = next {
            map.insert("next".into(), Value::String(next.into()));
        }
    }
    let text = answer.to_string();
    if text.len() <= budget {
        return text;
    }
    // Only an answer made of one enormous scalar gets here: keep valid JSON anyway.
    serde_json::json!({
        "truncated": true,
        "next": next.unwrap_or("ask a narrower question"),
        "excerpt": cut_string(&text, target, false),
    })
    .to_string()
}

/// A list and its serialised size, found by walking the answer.
struct Found {
    path: String,
    size: usize,
}

fn largest(value: &Value, path: &str, pick: &dyn Fn(&Value) -> bool, best: &mut Option<Found>) {
    if pick(value) {
        let size = value.to_string().len();
        if best.as_ref().is_none_or(|b| size > b.size) {
            *best = Some(Found {
                path: path.to_string(),
                size,
            });
        }
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                largest(v, &join(path, k), pick, best);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                largest(v, &join(path, &i.to_string()), pick, best);
            }
        }
        _ => {}
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn at_path<'a>(value: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    if path.is_empty() {
        return Some(value);
    }
    path.split('.').try_fold(value, |v, key| match v {
        Value::Object(map) => map.get_mut(key),
        Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    })
}

/// Drop items from the end of the largest list that has more than one; false when none.
fn shrink_largest_list(answer: &mut Value, excess: usize, cuts: &mut Cuts) -> bool {
    let mut best = None;
    largest(
        answer,
        "",
        &|v| v.as_array().is_some_and(|a| a.len() > 1),
        &mut best,
    );
    let Some(found) = best else { return false };
    let Some(Value::Array(items)) = at_path(answer, &found.path) else {
        return false;
    };
    let per_item = (found.size / items.len()).max(1);
    let drop = excess.div_ceil(per_item).clamp(1, items.len() - 1);
    items.truncate(items.len() - drop);
    let key = generic_path(&found.path);
    let before = cuts.items.get(&key).and_then(Value::as_u64).unwrap_or(0);
    cuts.items.insert(key, Value::from(before + drop as u64));
    true
}

/// Cut the largest string longer than [`MIN_STRING`]; false when none. A log's `text`
/// keeps its end (the tail is what matters), any other string its start.
fn shrink_largest_string(answer: &mut Value, excess: usize, cuts: &mut Cuts) -> bool {
    let mut best = None;
    largest(
        answer,
        "",
        &|v| v.as_str().is_some_and(|s| s.len() > MIN_STRING),
        &mut best,
    );
    let Some(found) = best else { return false };
    let keep_end = found.path.ends_with("text");
    let Some(Value::String(s)) = at_path(answer, &found.path) else {
        return false;
    };
    let keep = s.len().saturating_sub(excess + 32).max(MIN_STRING);
    let cut = s.len().saturating_sub(keep);
    *s = cut_string(s, keep, keep_end);
    cuts.bytes
        .insert(generic_path(&found.path), Value::from(cut as u64));
    true
}

/// At most `keep` bytes of `s` on a character boundary, with a marker where it was cut.
fn cut_string(s: &str, keep: usize, keep_end: bool) -> String {
    if s.len() <= keep {
        return s.to_string();
    }
    if keep_end {
        let mut start = s.len() - keep;
        while !s.is_char_boundary(start) {
            start += 1;
        }
        // Start on a whole line when there is one.
        let start = s[start..].find('\n').map_or(start, |i| start + i + 1);
        format!("[… {start} bytes cut …]\n{}", &s[start..])
    } else {
        let mut end = keep;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}[… {} bytes cut]", &s[..end], s.len() - end)
    }
}

/// A path with list indices replaced by `[]`, so cuts of sibling lists add up.
fn generic_path(path: &str) -> String {
    path.split('.')
        .map(|k| if k.parse::<usize>().is_ok() { "[]" } else { k })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_small_answer_is_left_alone() {
        let a = json!({ "jobs": [1, 2, 3] });
        assert_eq!(fit(a, 1000, Some("more")), r#"{"jobs":[1,2,3]}"#);
    }

    #[test]
    fn a_long_list_is_cut_from_its_end_and_says_how_many_items() {
        let jobs: Vec<Value> = (0..500)
            .map(|i| json!({ "fullName": format!("team/job-{i:03}"), "status": "SUCCESS" }))
            .collect();
        let text = fit(
            json!({ "totalCount": 500, "jobs": jobs }),
            4096,
            Some("pass after"),
        );
        assert!(text.len() <= 4096, "{} bytes", text.len());
        let v: Value = serde_json::from_str(&text).expect("valid JSON");
        let kept = v["jobs"].as_array().expect("jobs").len();
        assert!(kept > 10, "kept {kept}");
        assert_eq!(v["jobs"][0]["fullName"], "team/job-000");
        assert_eq!(v["truncated"], true);
        assert_eq!(v["omitted"]["items"]["jobs"], json!(500 - kept));
        assert_eq!(v["next"], "pass after");
    }

    #[test]
    fn a_log_text_keeps_its_end_on_a_whole_line() {
        let text: String = (1..=2000).map(|i| format!("line {i}\n")).collect();
        let out = fit(json!({ "log": { "text": text } }), 3000, None);
        assert!(out.len() <= 3000, "{} bytes", out.len());
        let v: Value = serde_json::from_str(&out).expect("valid JSON");
        let kept = v["log"]["text"].as_str().expect("text");
        assert!(kept.ends_with("line 2000\n"), "{kept}");
        let first_kept = kept.lines().nth(1).expect("a kept line");
        assert!(first_kept.starts_with("line "), "{first_kept}");
        assert!(v["omitted"]["bytes"]["log.text"].as_u64().expect("cut") > 10_000);
    }

    #[test]
    fn other_strings_keep_their_start() {
        let msg = "é".repeat(5000);
        let out = fit(json!({ "message": msg }), 2500, None);
        assert!(out.len() <= 2500);
        let v: Value = serde_json::from_str(&out).expect("valid JSON");
        assert!(v["message"].as_str().expect("msg").starts_with("éé"));
    }
}
