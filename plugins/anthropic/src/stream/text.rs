//! Where a streamed answer's text stands: how many characters went out, whether a
//! skipped block (a web search's `server_tool_use` and `web_search_tool_result`) came
//! since the last text, and the citations of the text blocks still streaming
//! ([`crate::citations`] has the mapping).
//!
//! A text block's citations arrive as `citations_delta`s (before or after its text);
//! when the block stops, they go out as one chunk whose delta is only
//! `annotations`, spanning the block's text in the whole message, as OpenAI sends a
//! search's annotations in a delta of their own.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use crate::citations::{self, Citation, PARAGRAPH};

/// The text state of one stream.
#[derive(Debug, Default)]
pub struct Text {
    /// Characters of answer text sent so far.
    chars: u64,
    /// A skipped block came since the last text.
    skipped: bool,
    /// Text blocks streaming, by block index: where their text starts (once some
    /// came) and their citations.
    blocks: HashMap<u64, (Option<u64>, Vec<Citation>)>,
}

impl Text {
    /// A text block starts.
    pub fn block_start(&mut self, index: u64) {
        self.blocks.insert(index, (None, Vec::new()));
    }

    /// A block this adapter skips starts.
    pub fn skipped_block(&mut self) {
        self.skipped = true;
    }

    /// The content to send for a text delta of block `index`: [`PARAGRAPH`] first when
    /// text resumes after skipped blocks.
    pub fn delta<'t>(&mut self, index: u64, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        if self.skipped && self.chars > 0 {
            out = Cow::Owned([PARAGRAPH, text].concat());
            self.chars += citations::chars(PARAGRAPH);
        }
        self.skipped = false;
        if let Some((start, _)) = self.blocks.get_mut(&index) {
            start.get_or_insert(self.chars);
        }
        self.chars += citations::chars(text);
        out
    }

    /// A citation of block `index`.
    pub fn cite(&mut self, index: u64, citation: Citation) {
        if let Some((_, cited)) = self.blocks.get_mut(&index) {
            cited.push(citation);
        }
    }

    /// Block `index` stops: the annotations of its citations (none for a block that is
    /// no text block, cites nothing or cites no web page).
    pub fn block_stop(&mut self, index: u64) -> Vec<Value> {
        let Some((start, cited)) = self.blocks.remove(&index) else {
            return Vec::new();
        };
        let start = start.unwrap_or(self.chars);
        cited
            .iter()
            .filter_map(|c| c.annotation(start, self.chars))
            .collect()
    }
}

#[cfg(test)]
mod tests;
