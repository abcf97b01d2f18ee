//! The reasoning and message items of a stream: one open at a time, closed when
//! another kind of output starts (the table is in the parent module).

use std::borrow::Cow;

use serde_json::value::RawValue;

use super::event::{Event, SummaryPart};
use super::{Converter, Out};
use crate::bindings::ApiError;
use crate::citations::UrlCitation;
use crate::output::{COMPLETED, IN_PROGRESS, Item, Part};
use crate::thinking;

/// The reasoning or message item being written.
#[derive(Debug)]
pub(super) enum Open {
    Reasoning {
        index: usize,
        id: String,
        text: String,
        part_open: bool,
        blocks: Vec<Box<RawValue>>,
    },
    Message {
        index: usize,
        id: String,
        parts: Vec<Part<'static>>,
        /// The part being written: whether it is a refusal, and its text.
        current: Option<(bool, String)>,
        /// The sources the text part being written cites.
        annotations: Vec<UrlCitation>,
    },
}

impl Converter {
    /// Opens a reasoning item unless one is open.
    pub(super) fn open_reasoning(&mut self, out: &mut Out) -> Result<(), ApiError> {
        if matches!(self.open, Some(Open::Reasoning { .. })) {
            return Ok(());
        }
        self.close_all(COMPLETED, out)?;
        let index = self.reserve();
        let id = Self::next_id(&self.call_id, "rs", &mut self.reasonings);
        let item = Item::Reasoning {
            id: Cow::Borrowed(&id),
            summary: Cow::Borrowed(""),
            encrypted_content: None,
        };
        out.emit(&Event::ItemAdded {
            output_index: index,
            item: &item,
        })?;
        self.open = Some(Open::Reasoning {
            index,
            id,
            text: String::new(),
            part_open: false,
            blocks: Vec::new(),
        });
        Ok(())
    }

    /// Reasoning text: into the open reasoning item's summary.
    pub(super) fn reasoning_text(&mut self, delta: &str, out: &mut Out) -> Result<(), ApiError> {
        self.open_reasoning(out)?;
        let Some(Open::Reasoning {
            index,
            id,
            text,
            part_open,
            ..
        }) = &mut self.open
        else {
            return Ok(());
        };
        if !*part_open {
            *part_open = true;
            out.emit(&Event::SummaryPartAdded {
                item_id: id,
                output_index: *index,
                summary_index: 0,
                part: SummaryPart::new(""),
            })?;
        }
        text.push_str(delta);
        out.emit(&Event::SummaryTextDelta {
            item_id: id,
            output_index: *index,
            summary_index: 0,
            delta,
        })
    }

    /// Answer text or refusal text: into the open message's part of that kind.
    pub(super) fn text(
        &mut self,
        delta: &str,
        refusal: bool,
        out: &mut Out,
    ) -> Result<(), ApiError> {
        if !matches!(self.open, Some(Open::Message { .. })) {
            self.close_all(COMPLETED, out)?;
            let index = self.reserve();
            let id = Self::next_id(&self.call_id, "msg", &mut self.messages);
            let item = Item::Message {
                id: Cow::Borrowed(&id),
                status: IN_PROGRESS,
                content: Vec::new(),
            };
            out.emit(&Event::ItemAdded {
                output_index: index,
                item: &item,
            })?;
            self.open = Some(Open::Message {
                index,
                id,
                parts: Vec::new(),
                current: None,
                annotations: Vec::new(),
            });
        }
        let Some(Open::Message {
            index,
            id,
            parts,
            current,
            annotations,
        }) = &mut self.open
        else {
            return Ok(());
        };
        if current.as_ref().is_some_and(|(r, _)| *r != refusal) {
            close_part(id, *index, parts, current, annotations, out)?;
        }
        let content_index = parts.len();
        let (_, text) = match current {
            Some(current) => current,
            None => {
                let part = empty_part(refusal);
                out.emit(&Event::PartAdded {
                    item_id: id,
                    output_index: *index,
                    content_index,
                    part: &part,
                })?;
                current.insert((refusal, String::new()))
            }
        };
        text.push_str(delta);
        if delta.is_empty() {
            return Ok(());
        }
        let (item_id, output_index) = (id.as_str(), *index);
        out.emit(&if refusal {
            Event::RefusalDelta {
                item_id,
                output_index,
                content_index,
                delta,
            }
        } else {
            Event::TextDelta {
                item_id,
                output_index,
                content_index,
                delta,
                logprobs: [],
            }
        })
    }

    /// Sources cited by the text being written: kept for its part, dropped when no
    /// text part is open.
    pub(super) fn cite(&mut self, citations: Vec<UrlCitation>) {
        if let Some(Open::Message {
            current: Some((false, _)),
            annotations,
            ..
        }) = &mut self.open
        {
            annotations.extend(citations);
        }
    }

    /// Closes the open reasoning or message item.
    pub(super) fn close_open(
        &mut self,
        status: &'static str,
        out: &mut Out,
    ) -> Result<(), ApiError> {
        let (index, item) = match self.open.take() {
            None => return Ok(()),
            Some(Open::Reasoning {
                index,
                id,
                text,
                part_open,
                blocks,
            }) => {
                if part_open {
                    let (item_id, output_index) = (id.as_str(), index);
                    out.emit(&Event::SummaryTextDone {
                        item_id,
                        output_index,
                        summary_index: 0,
                        text: &text,
                    })?;
                    out.emit(&Event::SummaryPartDone {
                        item_id,
                        output_index,
                        summary_index: 0,
                        part: SummaryPart::new(&text),
                    })?;
                }
                let encrypted_content = thinking::encode(&blocks).map(Cow::Owned);
                let item = Item::Reasoning {
                    id: Cow::Owned(id),
                    summary: Cow::Owned(text),
                    encrypted_content,
                };
                (index, item)
            }
            Some(Open::Message {
                index,
                id,
                mut parts,
                mut current,
                mut annotations,
            }) => {
                close_part(&id, index, &mut parts, &mut current, &mut annotations, out)?;
                let item = Item::Message {
                    id: Cow::Owned(id),
                    status,
                    content: parts,
                };
                (index, item)
            }
        };
        self.done(index, item, out)
    }
}

/// An empty text or refusal part.
fn empty_part(refusal: bool) -> Part<'static> {
    if refusal {
        Part::Refusal(Cow::Borrowed(""))
    } else {
        Part::text("")
    }
}

/// Closes a message's current part: its `.done` events, then it joins `parts`; a text
/// part takes the `annotations` kept for it.
fn close_part(
    id: &str,
    output_index: usize,
    parts: &mut Vec<Part<'static>>,
    current: &mut Option<(bool, String)>,
    annotations: &mut Vec<UrlCitation>,
    out: &mut Out,
) -> Result<(), ApiError> {
    let Some((refusal, text)) = current.take() else {
        return Ok(());
    };
    let content_index = parts.len();
    let part = if refusal {
        out.emit(&Event::RefusalDone {
            item_id: id,
            output_index,
            content_index,
            refusal: &text,
        })?;
        Part::Refusal(Cow::Owned(text))
    } else {
        out.emit(&Event::TextDone {
            item_id: id,
            output_index,
            content_index,
            text: &text,
            logprobs: [],
        })?;
        Part::Text {
            text: Cow::Owned(text),
            annotations: std::mem::take(annotations),
        }
    };
    out.emit(&Event::PartDone {
        item_id: id,
        output_index,
        content_index,
        part: &part,
    })?;
    parts.push(part);
    Ok(())
}
