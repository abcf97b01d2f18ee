//! Contract 0.1 components in a 0.2 host: the host works with 0.2's types, and a
//! session running a 0.1 adapter converts at the boundary. 0.2 only added to 0.1, so
//! every 0.1 value has a 0.2 twin; the one way back that can fail is an endpoint 0.1
//! does not know, which the host never sends to an adapter that did not list it.

use super::bindings as now;
use super::bindings::v0_1::switchyard::adapter::types as old;

/// A 0.2 endpoint in 0.1 terms; `None` for one 0.1 lacks.
pub fn endpoint(endpoint: now::Endpoint) -> Option<old::Endpoint> {
    match endpoint {
        now::Endpoint::ChatCompletions => Some(old::Endpoint::ChatCompletions),
        now::Endpoint::Embeddings => Some(old::Endpoint::Embeddings),
        now::Endpoint::Messages | now::Endpoint::MessagesCountTokens | now::Endpoint::Responses => {
            None
        }
    }
}

/// The call context for a 0.1 adapter; `None` when the endpoint is one 0.1 lacks.
pub fn call_context(ctx: &now::CallContext) -> Option<old::CallContext> {
    Some(old::CallContext {
        endpoint: endpoint(ctx.endpoint)?,
        public_model: ctx.public_model.clone(),
        upstream_model: ctx.upstream_model.clone(),
        streaming: ctx.streaming,
        include_usage: ctx.include_usage,
        client_id: ctx.client_id.clone(),
        options: ctx.options.clone(),
    })
}

/// An upstream answer for a 0.1 adapter.
pub fn upstream_response(response: &now::UpstreamResponse) -> old::UpstreamResponse {
    old::UpstreamResponse {
        status: response.status,
        headers: response.headers.clone(),
        body: response.body.clone(),
    }
}

/// Upstream stream events for a 0.1 adapter.
pub fn stream_events(events: &[now::StreamEvent]) -> Vec<old::StreamEvent> {
    events
        .iter()
        .map(|event| old::StreamEvent {
            event: event.event.clone(),
            data: event.data.clone(),
        })
        .collect()
}

/// A 0.1 adapter's description.
pub fn plugin_info(info: old::PluginInfo) -> now::PluginInfo {
    now::PluginInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        endpoints: info
            .endpoints
            .into_iter()
            .map(|endpoint| match endpoint {
                old::Endpoint::ChatCompletions => now::Endpoint::ChatCompletions,
                old::Endpoint::Embeddings => now::Endpoint::Embeddings,
            })
            .collect(),
        credential: credential(info.credential),
        default_base_url: info.default_base_url,
    }
}

fn credential(placement: old::CredentialPlacement) -> now::CredentialPlacement {
    match placement {
        old::CredentialPlacement::None => now::CredentialPlacement::None,
        old::CredentialPlacement::Bearer => now::CredentialPlacement::Bearer,
        old::CredentialPlacement::Header(name) => now::CredentialPlacement::Header(name),
        old::CredentialPlacement::Query(name) => now::CredentialPlacement::Query(name),
    }
}

/// A 0.1 adapter's upstream request.
pub fn upstream_request(request: old::UpstreamRequest) -> now::UpstreamRequest {
    now::UpstreamRequest {
        method: match request.method {
            old::Method::Get => now::Method::Get,
            old::Method::Post => now::Method::Post,
            old::Method::Put => now::Method::Put,
            old::Method::Patch => now::Method::Patch,
            old::Method::Delete => now::Method::Delete,
        },
        path_and_query: request.path_and_query,
        headers: request.headers,
        body: request.body,
        response_framing: request.response_framing.map(|framing| match framing {
            old::StreamFraming::Sse => now::StreamFraming::Sse,
            old::StreamFraming::Ndjson => now::StreamFraming::Ndjson,
        }),
        credential: request.credential.map(credential),
    }
}

fn usage(usage: old::Usage) -> now::Usage {
    now::Usage {
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        cached_tokens: usage.cached_tokens,
        reasoning_tokens: usage.reasoning_tokens,
    }
}

/// A 0.1 adapter's translated answer.
pub fn translated_response(response: old::TranslatedResponse) -> now::TranslatedResponse {
    now::TranslatedResponse {
        body: response.body,
        usage: response.usage.map(usage),
    }
}

/// A 0.1 adapter's stream output.
pub fn stream_output(output: old::StreamOutput) -> now::StreamOutput {
    now::StreamOutput {
        chunks: output.chunks,
        usage: output.usage.map(usage),
    }
}

/// A 0.1 adapter's error.
pub fn api_error(error: old::ApiError) -> now::ApiError {
    now::ApiError {
        status: error.status,
        message: error.message,
        error_type: error.error_type,
        param: error.param,
        code: error.code,
        retry_after: error.retry_after,
    }
}

/// Converts the inner result of a 0.1 call.
pub fn result<T, U>(
    result: Result<T, old::ApiError>,
    ok: impl FnOnce(T) -> U,
) -> Result<U, now::ApiError> {
    result.map(ok).map_err(api_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_newer_than_0_1_have_no_old_twin() {
        assert_eq!(
            endpoint(now::Endpoint::ChatCompletions),
            Some(old::Endpoint::ChatCompletions)
        );
        assert_eq!(endpoint(now::Endpoint::Messages), None);
        assert_eq!(endpoint(now::Endpoint::Responses), None);
    }
}
