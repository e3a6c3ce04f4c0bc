//! What a tool answers: a compact JSON object, the step to take when it had to be cut,
//! and whether it is an error. Errors are tool results too (a controller that is down is
//! a fact for the model, not a protocol failure): `{"error": {code, message, hint}}`.

use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{json, Map, Value};

use super::ask::Answer;
use super::fit::fit;

/// A tool's answer before it is sized.
#[derive(Debug)]
pub(crate) struct Reply {
    answer: Value,
    next: Option<String>,
    is_error: bool,
}

impl Reply {
    /// A successful answer.
    pub(crate) fn ok(answer: Value) -> Self {
        Reply {
            answer,
            next: None,
            is_error: false,
        }
    }

    /// A successful answer built from `data`, carrying the answer's problems (controllers
    /// that failed while the others answered) under `problems`.
    pub(crate) fn with_problems(mut data: Value, answer: &Answer) -> Self {
        if !answer.problems.is_empty() {
            if let Value::Object(map) = &mut data {
                map.insert("problems".into(), Value::Array(answer.problems.clone()));
            }
        }
        Reply::ok(data)
    }

    /// A refusal or failure: its stable code, what happened and what to do.
    pub(crate) fn error(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Reply {
            answer: json!({ "error": { "code": code, "message": message.into(), "hint": hint.into() } }),
            next: None,
            is_error: true,
        }
    }

    /// The error a GraphQL problem stands for (its code, connection, message and hint).
    pub(crate) fn from_problem(problem: &Value) -> Self {
        Reply {
            answer: json!({ "error": problem }),
            next: None,
            is_error: true,
        }
    }

    /// Nothing could be answered: the first problem is the error, the others follow.
    pub(crate) fn failed(answer: &Answer, what: &str) -> Self {
        match answer.problems.first() {
            Some(first) => {
                let mut reply = Reply::from_problem(first);
                if answer.problems.len() > 1 {
                    reply = reply.and("problems", Value::Array(answer.problems[1..].to_vec()));
                }
                reply
            }
            None => Reply::error("NOT_FOUND", format!("{what} was not found"), ""),
        }
    }

    /// Add a field to the answer.
    pub(crate) fn and(mut self, key: &str, value: Value) -> Self {
        if let Value::Object(map) = &mut self.answer {
            map.insert(key.into(), value);
        }
        self
    }

    /// What to ask next when the answer has to be cut.
    pub(crate) fn next(mut self, step: impl Into<String>) -> Self {
        self.next = Some(step.into());
        self
    }

    /// Whether it is an error.
    pub(crate) fn is_error(&self) -> bool {
        self.is_error
    }

    /// The answer, for tools that build on another's.
    pub(crate) fn answer(&self) -> &Value {
        &self.answer
    }

    /// The MCP result: the answer as one text block of at most `budget` bytes.
    pub(crate) fn into_result(self, budget: usize) -> CallToolResult {
        let text = fit(self.answer, budget, self.next.as_deref());
        let content = vec![ContentBlock::text(text)];
        if self.is_error {
            CallToolResult::error(content)
        } else {
            CallToolResult::success(content)
        }
    }
}

/// An object from key/value pairs, leaving out nulls.
pub(crate) fn object(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<String, Value>>(),
    )
}
