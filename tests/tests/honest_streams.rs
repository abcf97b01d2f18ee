//! Upstream answers that are not what they claim to be, through the real gateway, for
//! every platform: a 200 around the platform's error object or an HTML page, a whole
//! JSON completion where a stream was asked for, a stream cut before the platform's
//! terminal event, a redirect, and (Gemini) fewer embeddings than inputs. The client
//! always learns the truth: an error status with an OpenAI error, or a well-formed
//! stream that ends in `[DONE]` only when the answer is whole.
//!
//! One case list ([`cases::ALL`]) runs for every platform through
//! `e2e::platform_cases!`, with the platforms' table in `tests/src/platforms`; a
//! platform that cannot run a case skips it here, with the reason.

mod cases;

e2e::platform_cases!(cases; openai: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole;
    skip short_embeddings = "OpenAI's embeddings carry their own `index`; the mock shortens only Gemini's");
e2e::platform_cases!(cases; azure: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole;
    skip short_embeddings = "Azure's embeddings carry their own `index`; the mock shortens only Gemini's");
e2e::platform_cases!(cases; anthropic: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole;
    skip short_embeddings = "Anthropic has no embeddings API");
e2e::platform_cases!(cases; gemini: ok_error_stream, ok_error_whole, html_stream, html_whole,
    whole_json_for_stream, cut_stream, redirect_stream, redirect_whole, short_embeddings);
e2e::platform_cases!(cases; coze: ok_error_stream, ok_error_whole, html_stream, html_whole,
    cut_stream, redirect_stream, redirect_whole;
    skip whole_json_for_stream = "Coze's streamed chat never answers with a whole completion (a non-streamed create is only an `in_progress` receipt)",
    short_embeddings = "Coze has no embeddings API");
