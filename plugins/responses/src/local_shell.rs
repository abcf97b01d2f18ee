//! The `local_shell` tool (Codex's shell for the models trained on it), as a chat
//! function.
//!
//! | Responses | Chat |
//! |---|---|
//! | tool `{type: local_shell}` | function `local_shell` with [`PARAMETERS`] (`command`, `working_directory`, `timeout_ms`) |
//! | item `local_shell_call` (`action`) | an assistant tool call of `local_shell`, arguments = the `action` object |
//! | item `local_shell_call_output` | a `tool` message |
//! | a call of `local_shell` in the answer | a `local_shell_call` whose `action` is `{type: exec, command, env, timeout_ms, user, working_directory}` from the arguments ([`action`]) |

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// The chat function name of the `local_shell` tool.
pub const NAME: &str = "local_shell";

/// The function's description.
pub const DESCRIPTION: &str = "Runs a command on the user's machine and returns its output.";

/// The function's parameters: the fields of a `local_shell_call` action.
pub const PARAMETERS: &str = r#"{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"},"description":"The program and its arguments, e.g. [\"bash\", \"-lc\", \"ls -la\"]."},"working_directory":{"type":"string","description":"The directory to run it in."},"timeout_ms":{"type":"integer","description":"How long it may run, in milliseconds."}},"required":["command"],"additionalProperties":false}"#;

/// [`PARAMETERS`] as a JSON value (`None` only if the constant were broken; a test
/// checks it is not).
pub fn parameters() -> Option<&'static RawValue> {
    serde_json::from_str(PARAMETERS).ok()
}

/// The arguments a model gives `local_shell`.
#[derive(Debug, Default, Deserialize)]
struct Arguments<'a> {
    #[serde(default, borrow)]
    command: Option<&'a RawValue>,
    #[serde(default, borrow, alias = "workdir")]
    working_directory: Option<&'a RawValue>,
    #[serde(default, borrow)]
    timeout_ms: Option<&'a RawValue>,
    #[serde(default, borrow)]
    env: Option<&'a RawValue>,
    #[serde(default, borrow)]
    user: Option<&'a RawValue>,
}

/// A `local_shell_call` action.
#[derive(Debug, Serialize)]
struct Action<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    command: &'a RawValue,
    env: &'a RawValue,
    timeout_ms: Option<&'a RawValue>,
    user: Option<&'a RawValue>,
    working_directory: Option<&'a RawValue>,
}

/// The `action` (JSON) of a `local_shell_call` made with these arguments; arguments
/// that are not an object give an empty command.
pub fn action(arguments: &str) -> String {
    let arguments: Arguments = serde_json::from_str(arguments).unwrap_or_default();
    let (Some(command), Some(env)) = (
        arguments.command.or_else(|| json("[]")),
        arguments.env.or_else(|| json("{}")),
    ) else {
        return EMPTY_ACTION.to_owned();
    };
    let action = Action {
        kind: "exec",
        command,
        env,
        timeout_ms: arguments.timeout_ms,
        user: arguments.user,
        working_directory: arguments.working_directory,
    };
    serde_json::to_string(&action).unwrap_or_else(|_| EMPTY_ACTION.to_owned())
}

/// The action of arguments that cannot be written.
const EMPTY_ACTION: &str = r#"{"type":"exec","command":[],"env":{}}"#;

/// A JSON constant as a value.
fn json(text: &'static str) -> Option<&'static RawValue> {
    serde_json::from_str(text).ok()
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn parameters_are_json() {
        let schema: Value = serde_json::from_str(parameters().unwrap().get()).unwrap();
        assert_eq!(schema["required"], json!(["command"]));
    }

    #[test]
    fn arguments_become_an_exec_action() {
        let action: Value = serde_json::from_str(&action(
            r#"{"command":["bash","-lc","ls"],"workdir":"/tmp","timeout_ms":5000}"#,
        ))
        .unwrap();
        assert_eq!(
            action,
            json!({"type": "exec", "command": ["bash", "-lc", "ls"], "env": {},
                   "timeout_ms": 5000, "user": null, "working_directory": "/tmp"})
        );
        let broken: Value = serde_json::from_str(&super::action("nope")).unwrap();
        assert_eq!(broken["command"], json!([]));
    }
}
