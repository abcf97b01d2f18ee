//! A strict checker of Responses event sequences, run on every stream the tests make.

use serde_json::{Value, json};

/// One output item as the events built it.
#[derive(Debug, Default)]
struct Tracked {
    kind: String,
    id: String,
    done: Option<Value>,
    /// Message parts: (type, text, closed, the annotations of its `content_part.done`).
    parts: Vec<(String, String, bool, Value)>,
    /// Reasoning summary parts: (text, closed).
    summary: Vec<(String, bool)>,
    /// Function arguments or custom input streamed so far.
    streamed: String,
    /// The `.done` value of the arguments or input.
    finished: Option<String>,
}

/// The lifecycle events that end a stream, with the response status each carries.
const TERMINALS: [(&str, &str); 3] = [
    ("response.completed", "completed"),
    ("response.incomplete", "incomplete"),
    ("response.failed", "failed"),
];

/// Checks the rules every Responses stream must keep:
/// - `sequence_number` counts 0, 1, 2, … with the events;
/// - `response.created` first and `response.in_progress` second (both `in_progress`,
///   `output: []`); exactly one terminal event (`response.completed`,
///   `response.incomplete` or `response.failed`), last;
/// - `output_item.added` indices count from 0; every delta and `.done` names an item
///   added and not done (its `item_id` and `output_index`), and a part or summary part
///   that is open; `.done` texts equal their deltas joined;
/// - every added item is done before the terminal event (except in a failed stream),
///   with no part open, its final text equal to what streamed;
/// - the terminal response's `output` is exactly the done items, in order, and its
///   status fits the event (`incomplete_details` for incomplete, `error.code` for
///   failed).
pub fn validate(events: &[Value]) -> Result<(), String> {
    let kind = |e: &Value| e["type"].as_str().unwrap_or("").to_owned();
    for (n, event) in events.iter().enumerate() {
        if event["sequence_number"] != json!(n) {
            return Err(format!(
                "event {n} has sequence_number {}",
                event["sequence_number"]
            ));
        }
    }
    let kinds: Vec<String> = events.iter().map(kind).collect();
    if kinds.first().map(String::as_str) != Some("response.created")
        || kinds.get(1).map(String::as_str) != Some("response.in_progress")
    {
        return Err(format!("the stream starts {:?}", kinds.get(..2)));
    }
    for event in events.iter().take(2) {
        let response = &event["response"];
        if response["status"] != "in_progress" || response["output"] != json!([]) {
            return Err(format!(
                "a starting response must be empty and in progress: {response}"
            ));
        }
    }
    let terminals: Vec<usize> = (0..kinds.len())
        .filter(|&n| {
            TERMINALS
                .iter()
                .any(|(k, _)| kinds.get(n) == Some(&(*k).to_owned()))
        })
        .collect();
    if terminals != [kinds.len() - 1] {
        return Err(format!(
            "terminal events at {terminals:?} of {}",
            kinds.len()
        ));
    }
    let mut items: Vec<Tracked> = Vec::new();
    for (n, event) in events.iter().enumerate().skip(2).take(kinds.len() - 3) {
        step(&mut items, event).map_err(|why| format!("event {n} ({}): {why}", kind(event)))?;
    }
    let last = &events[kinds.len() - 1];
    let failed = kind(last) == "response.failed";
    terminal(&items, last, failed)
}

/// Checks one event between the start and the terminal event.
fn step(items: &mut Vec<Tracked>, event: &Value) -> Result<(), String> {
    let kind = event["type"].as_str().unwrap_or("");
    let index = event["output_index"].as_u64().ok_or("no output_index")? as usize;
    if kind == "response.output_item.added" {
        if index != items.len() {
            return Err(format!("output_index {index}, expected {}", items.len()));
        }
        let item = &event["item"];
        let id = item["id"].as_str().ok_or("an item needs an id")?.to_owned();
        let kind = item["type"].as_str().unwrap_or("").to_owned();
        let fresh = match kind.as_str() {
            "message" => item["content"] == json!([]) && item["status"] == "in_progress",
            "reasoning" => item["summary"] == json!([]),
            "function_call" => item["arguments"] == "" && item["status"] == "in_progress",
            "custom_tool_call" => item["input"] == "",
            "tool_search_call" | "local_shell_call" => item["status"] == "in_progress",
            _ => false,
        };
        if !fresh {
            return Err(format!("bad added item {item}"));
        }
        items.push(Tracked {
            kind,
            id,
            ..Tracked::default()
        });
        return Ok(());
    }
    let tracked = items.get_mut(index).ok_or("an item that was not added")?;
    if tracked.done.is_some() {
        return Err("an item already done".into());
    }
    if kind == "response.output_item.done" {
        return item_done(tracked, &event["item"]);
    }
    if event["item_id"] != tracked.id.as_str() {
        return Err(format!(
            "item_id {}, the item is {}",
            event["item_id"], tracked.id
        ));
    }
    let text = |key: &str| {
        event[key]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("no {key}"))
    };
    let fits = |wanted: &str| {
        if tracked.kind == wanted {
            Ok(())
        } else {
            Err(format!("a {wanted} event for a {} item", tracked.kind))
        }
    };
    match kind {
        "response.content_part.added"
        | "response.content_part.done"
        | "response.output_text.delta"
        | "response.output_text.done"
        | "response.refusal.delta"
        | "response.refusal.done" => {
            fits("message")?;
            part_event(tracked, kind, event)
        }
        "response.reasoning_summary_part.added"
        | "response.reasoning_summary_text.delta"
        | "response.reasoning_summary_text.done"
        | "response.reasoning_summary_part.done" => {
            fits("reasoning")?;
            summary_event(tracked, kind, event)
        }
        "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta" => {
            fits(if kind.contains("function") {
                "function_call"
            } else {
                "custom_tool_call"
            })?;
            if tracked.finished.is_some() {
                return Err("a delta after .done".into());
            }
            tracked.streamed.push_str(&text("delta")?);
            Ok(())
        }
        "response.function_call_arguments.done" | "response.custom_tool_call_input.done" => {
            let function = kind.contains("function");
            fits(if function {
                "function_call"
            } else {
                "custom_tool_call"
            })?;
            let full = text(if function { "arguments" } else { "input" })?;
            if full != tracked.streamed {
                return Err(format!("done {full:?}, deltas {:?}", tracked.streamed));
            }
            tracked.finished = Some(full);
            Ok(())
        }
        other => Err(format!("unexpected event {other:?}")),
    }
}

/// A message part event.
fn part_event(tracked: &mut Tracked, kind: &str, event: &Value) -> Result<(), String> {
    let content_index = event["content_index"].as_u64().ok_or("no content_index")? as usize;
    if kind == "response.content_part.added" {
        if content_index != tracked.parts.len() || tracked.parts.iter().any(|p| !p.2) {
            return Err(format!("part {content_index} added out of turn"));
        }
        let part = &event["part"];
        let part_kind = part["type"].as_str().unwrap_or("").to_owned();
        let empty = match part_kind.as_str() {
            "output_text" => part["text"] == "" && part["annotations"] == json!([]),
            "refusal" => part["refusal"] == "",
            _ => false,
        };
        if !empty {
            return Err(format!("bad added part {part}"));
        }
        tracked
            .parts
            .push((part_kind, String::new(), false, json!([])));
        return Ok(());
    }
    let Some((part_kind, text, closed, annotations)) = tracked.parts.get_mut(content_index) else {
        return Err(format!("part {content_index} was not added"));
    };
    if *closed {
        return Err(format!("part {content_index} is done"));
    }
    let wanted = if kind.contains("refusal") {
        "refusal"
    } else {
        "output_text"
    };
    match kind {
        "response.output_text.delta" | "response.refusal.delta" if part_kind == wanted => {
            if kind.ends_with("text.delta") && event["logprobs"] != json!([]) {
                return Err("a text delta needs logprobs: []".into());
            }
            text.push_str(event["delta"].as_str().ok_or("no delta")?);
        }
        "response.output_text.done"
            if part_kind == "output_text" && event["text"] == text.as_str() => {}
        "response.refusal.done" if part_kind == "refusal" && event["refusal"] == text.as_str() => {}
        "response.content_part.done" => {
            let key = if part_kind == "refusal" {
                "refusal"
            } else {
                "text"
            };
            if event["part"]["type"] != part_kind.as_str() || event["part"][key] != text.as_str() {
                return Err(format!(
                    "part done {} does not match {text:?}",
                    event["part"]
                ));
            }
            if part_kind == "output_text" {
                if !event["part"]["annotations"].is_array() {
                    return Err(format!("part done {} has no annotations", event["part"]));
                }
                *annotations = event["part"]["annotations"].clone();
            }
            *closed = true;
        }
        _ => return Err(format!("{kind} does not fit part {part_kind} ({text:?})")),
    }
    Ok(())
}

/// A reasoning summary event.
fn summary_event(tracked: &mut Tracked, kind: &str, event: &Value) -> Result<(), String> {
    let index = event["summary_index"].as_u64().ok_or("no summary_index")? as usize;
    if kind == "response.reasoning_summary_part.added" {
        if index != tracked.summary.len()
            || event["part"] != json!({"type": "summary_text", "text": ""})
        {
            return Err(format!("summary part {index} added out of turn"));
        }
        tracked.summary.push((String::new(), false));
        return Ok(());
    }
    let Some((text, closed)) = tracked.summary.get_mut(index) else {
        return Err(format!("summary part {index} was not added"));
    };
    if *closed {
        return Err(format!("summary part {index} is done"));
    }
    match kind {
        "response.reasoning_summary_text.delta" => {
            text.push_str(event["delta"].as_str().ok_or("no delta")?);
        }
        "response.reasoning_summary_text.done" if event["text"] == text.as_str() => {}
        "response.reasoning_summary_part.done"
            if event["part"] == json!({"type": "summary_text", "text": text}) =>
        {
            *closed = true;
        }
        _ => return Err(format!("{kind} does not fit summary {text:?}")),
    }
    Ok(())
}

/// `output_item.done`: the item matches what streamed.
fn item_done(tracked: &mut Tracked, item: &Value) -> Result<(), String> {
    if item["id"] != tracked.id.as_str() || item["type"] != tracked.kind.as_str() {
        return Err(format!(
            "done item {item} is not {} {}",
            tracked.kind, tracked.id
        ));
    }
    if tracked.parts.iter().any(|p| !p.2) || tracked.summary.iter().any(|s| !s.1) {
        return Err("a part is still open".into());
    }
    match tracked.kind.as_str() {
        "message" => {
            let parts: Vec<Value> = tracked
                .parts
                .iter()
                .map(|(kind, text, _, annotations)| match kind.as_str() {
                    "refusal" => json!({"type": "refusal", "refusal": text}),
                    _ => json!({"type": "output_text", "text": text, "annotations": annotations, "logprobs": []}),
                })
                .collect();
            if item["content"] != json!(parts) || item["status"] == "in_progress" {
                return Err(format!("message {item} does not match its parts {parts:?}"));
            }
        }
        "reasoning" => {
            let summary: Vec<Value> = tracked
                .summary
                .iter()
                .map(|(text, _)| json!({"type": "summary_text", "text": text}))
                .collect();
            if item["summary"] != json!(summary) {
                return Err(format!("reasoning {item} does not match {summary:?}"));
            }
        }
        "function_call" | "custom_tool_call" => {
            let key = if tracked.kind == "function_call" {
                "arguments"
            } else {
                "input"
            };
            match &tracked.finished {
                Some(full) if item[key] == full.as_str() => {}
                _ => return Err(format!("{key} of {item} were not finished as streamed")),
            }
            // Arguments cut by the output limit (an `incomplete` call) may be partial.
            if key == "arguments" && item["status"] == "completed" {
                serde_json::from_str::<Value>(&tracked.streamed)
                    .map_err(|e| format!("arguments are not JSON: {e}"))?;
            }
        }
        _ => {}
    }
    tracked.done = Some(item.clone());
    Ok(())
}

/// The terminal event: every item done (unless failed), `output` = the done items.
fn terminal(items: &[Tracked], event: &Value, failed: bool) -> Result<(), String> {
    if !failed && items.iter().any(|i| i.done.is_none()) {
        return Err("an item was never done".into());
    }
    let response = &event["response"];
    let kind = event["type"].as_str().unwrap_or("");
    let status = TERMINALS.iter().find(|(k, _)| *k == kind).map(|(_, s)| *s);
    if response["status"].as_str() != status {
        return Err(format!("{kind} with status {}", response["status"]));
    }
    let done: Vec<Value> = items.iter().filter_map(|i| i.done.clone()).collect();
    if response["output"] != json!(done) {
        return Err(format!(
            "output {} is not the done items {done:?}",
            response["output"]
        ));
    }
    match kind {
        "response.incomplete" if !response["incomplete_details"]["reason"].is_string() => {
            Err("an incomplete response needs incomplete_details.reason".into())
        }
        "response.failed"
            if !response["error"]["code"].is_string()
                || !response["error"]["message"].is_string() =>
        {
            Err("a failed response needs error.code and error.message".into())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
