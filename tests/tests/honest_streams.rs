//! Upstream answers that are not what they claim to be, through the real gateway, for
//! every platform: a 200 around the platform's error object or an HTML page, a whole
//! JSON completion where a stream was asked for, a stream cut before the platform's
//! terminal event, a redirect, and (Gemini) fewer embeddings than inputs. The client
//! always learns the truth: an error status with an OpenAI error, or a well-formed
//! stream that ends in `[DONE]` only when the answer is whole.
//!
//! One case list ([`cases`]) runs for every platform; opt-outs are written next to
//! the platform.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail the test loudly, with the reason; clippy only exempts #[test] bodies"
)]

#[path = "honest_streams/cases.rs"]
mod cases;
#[path = "honest_streams/platforms.rs"]
mod platforms;

/// Expands the listed cases into one test each, in a module named for the platform.
macro_rules! conformance {
    ($platform:ident: $($case:ident),+ $(,)?) => {
        mod $platform {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::cases::$case(crate::platforms::$platform()).await;
                }
            )+
        }
    };
}

conformance!(openai: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole);
conformance!(azure: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole);
conformance!(anthropic: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole);
conformance!(gemini: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole, short_embeddings);
// Coze opts out of `whole_json_for_stream`: its streamed chat never answers with a
// whole completion (a non-streamed create is only an `in_progress` receipt).
conformance!(coze: ok_error_stream, ok_error_whole, html_stream, html_whole,
    cut_stream, redirect_stream, redirect_whole);
