//! Tool call ids: synthesised (Gemini 2.x sends none), and carrying the part's
//! `thoughtSignature`, because OpenAI clients echo the id back verbatim and drop any
//! field they do not know. Gemini 3 rejects a later turn whose `functionCall` lacks the
//! signature it handed out.

/// Separator between the id proper and the thought signature (agentgateway's choice;
/// base64 never contains `_`).
pub const SIGNATURE_SEPARATOR: &str = "__thought__";

/// The OpenAI tool call id for a call: Gemini's own id if it sent one, else
/// `call_<seed>_<index>`, then the signature if the part had one.
pub fn encode(
    gemini_id: Option<&str>,
    seed: &str,
    index: usize,
    signature: Option<&str>,
) -> String {
    let mut id = match gemini_id.filter(|id| !id.is_empty()) {
        Some(id) => id.to_owned(),
        None => format!("call_{seed}_{index}"),
    };
    if let Some(signature) = signature.filter(|s| !s.is_empty()) {
        id.push_str(SIGNATURE_SEPARATOR);
        id.push_str(signature);
    }
    id
}

/// The id Gemini gave a call, to echo on its `functionCall` and `functionResponse` when
/// the history goes back: `None` for an id this adapter made up (`call_…`, for a call
/// Gemini sent without one) or another model's.
pub fn gemini_id(id: &str) -> Option<&str> {
    let (id, _) = decode(id);
    (!id.is_empty() && !id.starts_with("call_") && !id.starts_with("toolu_")).then_some(id)
}

/// Splits an id made by [`encode`] into the id proper and the signature.
pub fn decode(id: &str) -> (&str, Option<&str>) {
    match id.split_once(SIGNATURE_SEPARATOR) {
        Some((id, signature)) if !signature.is_empty() => (id, Some(signature)),
        Some((id, _)) => (id, None),
        None => (id, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_round_trips_through_the_id() {
        let signature = "CpUCAdHtim9p+/x==";
        let id = encode(None, "resp1", 0, Some(signature));
        assert_eq!(id, "call_resp1_0__thought__CpUCAdHtim9p+/x==");
        assert_eq!(decode(&id), ("call_resp1_0", Some(signature)));
    }

    #[test]
    fn gemini_ids_are_kept_and_plain_ids_decode_to_themselves() {
        assert_eq!(encode(Some("abc"), "r", 3, None), "abc");
        assert_eq!(encode(Some(""), "r", 3, Some("")), "call_r_3");
        assert_eq!(decode("call_xyz"), ("call_xyz", None));
    }
}
