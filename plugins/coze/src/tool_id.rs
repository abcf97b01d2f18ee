//! Tool call ids handed to clients: they carry the Coze conversation and chat ids, so
//! the request that returns the tool results holds everything `submit_tool_outputs`
//! needs, and the adapter keeps no state between requests.
//!
//! Shape: `coze~{conversation_id}~{chat_id}~{coze tool call id}`. Coze ids are numeric
//! strings; the Coze tool call id comes last, so it may contain anything.

/// The prefix every id this adapter issues starts with.
pub const PREFIX: &str = "coze";
const SEPARATOR: char = '~';

/// A decoded tool call id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCallId {
    /// The Coze conversation the chat belongs to.
    pub conversation_id: String,
    /// The chat waiting for the tool outputs.
    pub chat_id: String,
    /// Coze's own id of the tool call.
    pub call_id: String,
}

impl ToolCallId {
    /// The id as the client sees it.
    pub fn encode(&self) -> String {
        format!(
            "{PREFIX}{SEPARATOR}{}{SEPARATOR}{}{SEPARATOR}{}",
            self.conversation_id, self.chat_id, self.call_id
        )
    }

    /// Reads an id this adapter issued; `None` for anything else.
    pub fn decode(id: &str) -> Option<Self> {
        let mut parts = id.splitn(4, SEPARATOR);
        if parts.next()? != PREFIX {
            return None;
        }
        let conversation_id = parts.next().filter(|p| !p.is_empty())?;
        let chat_id = parts.next().filter(|p| !p.is_empty())?;
        let call_id = parts.next().filter(|p| !p.is_empty())?;
        Some(ToolCallId {
            conversation_id: conversation_id.to_owned(),
            chat_id: chat_id.to_owned(),
            call_id: call_id.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_keeps_separators_in_the_call_id() {
        let id = ToolCallId {
            conversation_id: "74".into(),
            chat_id: "75".into(),
            call_id: "call~x".into(),
        };
        assert_eq!(id.encode(), "coze~74~75~call~x");
        assert_eq!(ToolCallId::decode(&id.encode()), Some(id));
    }

    #[test]
    fn foreign_ids_are_not_read() {
        for id in ["call_abc", "coze~1~2", "coze~~2~3", "other~1~2~3", ""] {
            assert_eq!(ToolCallId::decode(id), None, "{id}");
        }
    }
}
