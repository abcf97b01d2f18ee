use serde_json::{Value, json};

use super::validate;
use crate::fixtures::run;

fn valid_stream() -> Vec<Value> {
    let chunk =
        json!({"choices": [{"index": 0, "delta": {"content": "hi"}, "finish_reason": "stop"}]});
    run(&[chunk], 1)
}

#[test]
fn validator_rejects_broken_streams() {
    let mut gap = valid_stream();
    gap.remove(4);
    assert!(validate(&gap).unwrap_err().contains("sequence_number"));

    let renumber = |mut events: Vec<Value>| {
        for (n, event) in events.iter_mut().enumerate() {
            event["sequence_number"] = json!(n);
        }
        validate(&events)
    };
    let mut no_terminal = valid_stream();
    no_terminal.pop();
    assert!(renumber(no_terminal).unwrap_err().contains("terminal"));
    let mut no_done = valid_stream();
    no_done.retain(|e| e["type"] != "response.output_item.done");
    assert!(renumber(no_done).is_err());
    let mut bad_text = valid_stream();
    for event in &mut bad_text {
        if event["type"] == "response.output_text.done" {
            event["text"] = json!("other");
        }
    }
    assert!(renumber(bad_text).unwrap_err().contains("does not fit"));
    let mut wrong_output = valid_stream();
    wrong_output.last_mut().unwrap()["response"]["output"] = json!([]);
    assert!(renumber(wrong_output).unwrap_err().contains("done items"));
    let mut two_starts = valid_stream();
    two_starts.insert(1, two_starts[0].clone());
    assert!(renumber(two_starts).is_err());
}
