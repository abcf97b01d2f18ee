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

    #[test]
    fn a_0_1_adapters_answers_keep_every_field() {
        let request = upstream_request(old::UpstreamRequest {
            method: old::Method::Patch,
            path_and_query: "/v1/x?y=1".into(),
            headers: vec![("a".into(), "b".into())],
            body: b"{}".to_vec(),
            response_framing: Some(old::StreamFraming::Ndjson),
            credential: Some(old::CredentialPlacement::Query("key".into())),
        });
        assert_eq!(request.method, now::Method::Patch);
        assert_eq!(request.path_and_query, "/v1/x?y=1");
        assert_eq!(request.response_framing, Some(now::StreamFraming::Ndjson));
        assert!(matches!(
            request.credential,
            Some(now::CredentialPlacement::Query(ref name)) if name == "key"
        ));

        let usage = old::Usage {
            prompt_tokens: 3,
            completion_tokens: 4,
            cached_tokens: Some(1),
            reasoning_tokens: Some(2),
        };
        let output = stream_output(old::StreamOutput {
            chunks: vec!["{}".into()],
            usage: Some(usage),
        });
        assert_eq!(output.chunks, vec!["{}".to_string()]);
        let converted = output.usage.expect("usage");
        assert_eq!(
            (converted.prompt_tokens, converted.completion_tokens),
            (3, 4)
        );
        assert_eq!(
            (converted.cached_tokens, converted.reasoning_tokens),
            (Some(1), Some(2))
        );

        let failed: Result<(), now::ApiError> = result(
            Err(old::ApiError {
                status: 429,
                message: "slow down".into(),
                error_type: "rate_limit_exceeded".into(),
                param: None,
                code: Some("rate_limit_exceeded".into()),
                retry_after: Some(7),
            }),
            |()| (),
        );
        let error = failed.expect_err("the error passes");
        assert_eq!((error.status, error.retry_after), (429, Some(7)));

        let info = plugin_info(old::PluginInfo {
            name: "acme".into(),
            version: "1.0.0".into(),
            description: "d".into(),
            endpoints: vec![old::Endpoint::ChatCompletions, old::Endpoint::Embeddings],
            credential: old::CredentialPlacement::Bearer,
            default_base_url: String::new(),
        });
        assert_eq!(
            info.endpoints,
            vec![now::Endpoint::ChatCompletions, now::Endpoint::Embeddings]
        );
        assert!(matches!(info.credential, now::CredentialPlacement::Bearer));
    }

    #[test]
    fn a_0_1_adapter_gets_the_call_and_events_it_knows() {
        let ctx = now::CallContext {
            endpoint: now::Endpoint::Embeddings,
            public_model: "m".into(),
            upstream_model: "u".into(),
            streaming: true,
            include_usage: true,
            client_id: "c".into(),
            options: vec![("k".into(), "v".into())],
        };
        let old_ctx = call_context(&ctx).expect("0.1 knows embeddings");
        assert_eq!(old_ctx.endpoint, old::Endpoint::Embeddings);
        assert_eq!(old_ctx.options, ctx.options);
        let messages = now::CallContext {
            endpoint: now::Endpoint::Messages,
            ..ctx
        };
        assert!(call_context(&messages).is_none());
        let events = stream_events(&[now::StreamEvent {
            event: Some("e".into()),
            data: "d".into(),
        }]);
        assert_eq!(events[0].event.as_deref(), Some("e"));
        let response = upstream_response(&now::UpstreamResponse {
            status: 200,
            headers: Vec::new(),
            body: b"x".to_vec(),
        });
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"x"[..])
        );
    }
}
