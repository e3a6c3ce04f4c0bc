//! Build logs: literal text from a world file, or generated on the fly to any size.
//!
//! A generated log is a pure function of (seed, byte offset): lines have a fixed width,
//! so any byte range is computed without holding the log in memory. That is how a
//! 100 MB log is served with bounded memory.

use std::sync::Arc;

use crate::world::{Build, BuildResult};

/// Width of one generated line, newline included.
pub const LINE: u64 = 100;

/// Everything needed to read one build's log, detached from the world lock.
#[derive(Clone, Debug)]
pub enum LogSource {
    /// A literal log (console annotations included).
    Text(Arc<str>),
    /// A generated log: `body` bytes of fixed-width lines, then `tail`.
    Generated {
        /// Seed that decides every line.
        seed: u64,
        /// Bytes of fixed-width lines (a multiple of [`LINE`]).
        body: u64,
        /// Text after the body (`Finished: …` once the build is done).
        tail: Arc<str>,
    },
}

impl LogSource {
    /// The log of a build as it stands now.
    pub fn of(build: &Build, seed: u64) -> LogSource {
        if let Some(bytes) = build.log.generated_bytes {
            let body = bytes / LINE * LINE;
            let tail = match build.result {
                Some(r) => format!("Finished: {}\n", r.as_str()),
                None => String::new(),
            };
            LogSource::Generated {
                seed: seed ^ build.number.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                body,
                tail: tail.into(),
            }
        } else if let Some(text) = &build.log.text {
            LogSource::Text(text.as_str().into())
        } else {
            LogSource::Text(default_log(build).into())
        }
    }

    /// Length in bytes of the raw log.
    pub fn len(&self) -> u64 {
        match self {
            LogSource::Text(t) => t.len() as u64,
            LogSource::Generated { body, tail, .. } => body + tail.len() as u64,
        }
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes `[start, end)` of the raw log (clamped to its length).
    pub fn read(&self, start: u64, end: u64) -> Vec<u8> {
        let end = end.min(self.len());
        if start >= end {
            return Vec::new();
        }
        match self {
            LogSource::Text(t) => t.as_bytes()[start as usize..end as usize].to_vec(),
            LogSource::Generated { seed, body, tail } => {
                let mut out = Vec::with_capacity((end - start) as usize);
                let mut pos = start;
                while pos < end && pos < *body {
                    let line_no = pos / LINE;
                    let line = generated_line(*seed, line_no);
                    let from = (pos % LINE) as usize;
                    let to = ((end - line_no * LINE).min(LINE)) as usize;
                    out.extend_from_slice(&line[from..to]);
                    pos = line_no * LINE + to as u64;
                }
                if pos < end {
                    let t = tail.as_bytes();
                    out.extend_from_slice(&t[(pos - body) as usize..(end - body) as usize]);
                }
                out
            }
        }
    }
}

const WORDS: &[&str] = &[
    "compiling",
    "linking",
    "resolving",
    "downloading",
    "testing",
    "packaging",
    "checking",
    "indexing",
    "bundling",
    "uploading",
];

/// Line `n` of a generated log: exactly [`LINE`] bytes ending in `\n`.
pub fn generated_line(seed: u64, n: u64) -> [u8; LINE as usize] {
    let h = mix(seed ^ n.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let text = if n == 0 {
        "Started by an SCM change".to_string()
    } else if n.is_multiple_of(997) {
        format!(
            "ERROR: step {n} failed: connection reset by peer (attempt {})",
            h % 5 + 1
        )
    } else if n.is_multiple_of(101) {
        format!(
            "WARNING: step {n}: deprecated API used in module-{}",
            h % 400
        )
    } else {
        format!(
            "[{:02}:{:02}:{:02}] {} module-{} ({} files)",
            (n / 3600) % 24,
            (n / 60) % 60,
            n % 60,
            WORDS[(h % WORDS.len() as u64) as usize],
            (h >> 8) % 400,
            (h >> 20) % 900 + 1
        )
    };
    let mut line = [b'.'; LINE as usize];
    let bytes = text.as_bytes();
    let len = bytes.len().min(LINE as usize - 1);
    line[..len].copy_from_slice(&bytes[..len]);
    if len < LINE as usize - 1 {
        line[len] = b' ';
    }
    line[LINE as usize - 1] = b'\n';
    line
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn default_log(build: &Build) -> String {
    let mut out = String::from("Started by user admin\nRunning as SYSTEM\n");
    for stage in &build.stages {
        out.push_str(&format!(
            "[Pipeline] stage\n[Pipeline] {{ ({})\n",
            stage.name
        ));
        for step in &stage.steps {
            if let Some(log) = &step.log {
                out.push_str(log);
                if !log.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        out.push_str("[Pipeline] }\n");
    }
    if let Some(r) = build.result {
        if r == BuildResult::Failure && build.stages.is_empty() {
            out.push_str("Build step 'Execute shell' marked build as failure\n");
        }
        out.push_str(&format!("Finished: {}\n", r.as_str()));
    }
    out
}

/// Strip console annotations (`ESC[8mha:…ESC[0m`) as `PlainTextConsoleOutputStream` does.
pub fn strip_notes(raw: &[u8]) -> Vec<u8> {
    const START: &[u8] = b"\x1b[8mha:";
    const END: &[u8] = b"\x1b[0m";
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with(START) {
            match find(&raw[i + START.len()..], END) {
                Some(at) => {
                    i += START.len() + at + END.len();
                    continue;
                }
                None => break,
            }
        }
        out.push(raw[i]);
        i += 1;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// LF → CRLF, as `LineEndNormalizingWriter` does for progressiveText.
pub fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_reads_are_consistent_across_ranges() {
        let src = LogSource::Generated {
            seed: 7,
            body: LINE * 1000,
            tail: "Finished: SUCCESS\n".into(),
        };
        let whole = src.read(0, src.len());
        assert_eq!(whole.len() as u64, src.len());
        for (a, b) in [
            (0, 10),
            (95, 205),
            (LINE * 999 + 3, src.len()),
            (12345, 54321),
        ] {
            assert_eq!(src.read(a, b), whole[a as usize..b as usize]);
        }
        assert!(whole.ends_with(b"Finished: SUCCESS\n"));
        assert_eq!(whole.iter().filter(|&&b| b == b'\n').count(), 1001);
    }

    #[test]
    fn strips_notes_and_normalizes() {
        let raw = b"Started by user \x1b[8mha:////abc=\x1b[0madmin\nok\n";
        assert_eq!(strip_notes(raw), b"Started by user admin\nok\n");
        assert_eq!(crlf(b"a\nb\r\n"), b"a\r\nb\r\n");
    }
}
