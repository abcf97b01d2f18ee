//! The adapter world's calls on a [`Session`], for 0.2 adapters as they are and for
//! 0.1 adapters through `compat`.

use wasmtime::component::ResourceAny;

use super::{CallResult, Instance, PluginFault, Session, wrong_kind};
use crate::plugins::bindings::{
    CallContext, PluginInfo, StreamEvent, StreamOutput, TranslatedResponse, UpstreamRequest,
    UpstreamResponse,
};
use crate::plugins::compat;

/// The answer a 0.1 adapter gives for an endpoint it cannot know (never sent by the
/// host, which checks `plugin-info.endpoints` first).
fn unknown_to_0_1(ctx: &CallContext) -> crate::plugins::bindings::ApiError {
    crate::plugins::bindings::ApiError {
        status: 404,
        message: format!(
            "the adapter for `{}` targets contract 0.1, which has no {:?} endpoint",
            ctx.public_model, ctx.endpoint
        ),
        error_type: "not_found_error".into(),
        param: None,
        code: Some("unsupported_endpoint".into()),
        retry_after: None,
    }
}

impl Session {
    /// Asks the adapter to describe itself (the contract's `info`).
    pub async fn info(&mut self) -> Result<PluginInfo, PluginFault> {
        self.arm()?;
        let result = match &self.instance {
            Instance::Adapter(guest) => {
                guest
                    .switchyard_adapter_adapter()
                    .call_info(&mut self.store)
                    .await
            }
            Instance::AdapterV0_1(guest) => guest
                .switchyard_adapter_adapter()
                .call_info(&mut self.store)
                .await
                .map(compat::plugin_info),
            Instance::Dialect(_) => return Err(wrong_kind("info")),
        };
        result.map_err(|err| self.fault(err))
    }

    /// `transform-request`.
    pub async fn transform_request(
        &mut self,
        ctx: &CallContext,
        body: &[u8],
    ) -> CallResult<UpstreamRequest> {
        self.arm()?;
        let result = match &self.instance {
            Instance::Adapter(guest) => {
                guest
                    .switchyard_adapter_adapter()
                    .call_transform_request(&mut self.store, ctx, body)
                    .await
            }
            Instance::AdapterV0_1(guest) => {
                let Some(old_ctx) = compat::call_context(ctx) else {
                    return Ok(Err(unknown_to_0_1(ctx)));
                };
                guest
                    .switchyard_adapter_adapter()
                    .call_transform_request(&mut self.store, &old_ctx, body)
                    .await
                    .map(|result| compat::result(result, compat::upstream_request))
            }
            Instance::Dialect(_) => return Err(wrong_kind("transform-request")),
        };
        result.map_err(|err| self.fault(err))
    }

    /// `transform-response`.
    pub async fn transform_response(
        &mut self,
        ctx: &CallContext,
        response: &UpstreamResponse,
    ) -> CallResult<TranslatedResponse> {
        self.arm()?;
        let result = match &self.instance {
            Instance::Adapter(guest) => {
                guest
                    .switchyard_adapter_adapter()
                    .call_transform_response(&mut self.store, ctx, response)
                    .await
            }
            Instance::AdapterV0_1(guest) => {
                let Some(old_ctx) = compat::call_context(ctx) else {
                    return Ok(Err(unknown_to_0_1(ctx)));
                };
                guest
                    .switchyard_adapter_adapter()
                    .call_transform_response(
                        &mut self.store,
                        &old_ctx,
                        &compat::upstream_response(response),
                    )
                    .await
                    .map(|result| compat::result(result, compat::translated_response))
            }
            Instance::Dialect(_) => return Err(wrong_kind("transform-response")),
        };
        result.map_err(|err| self.fault(err))
    }

    /// Creates the `stream-transformer` resource for this session's stream.
    pub async fn open_stream(
        &mut self,
        ctx: &CallContext,
        status: u16,
        headers: &[(String, String)],
    ) -> Result<ResourceAny, PluginFault> {
        self.arm()?;
        let result = match &self.instance {
            Instance::Adapter(guest) => {
                guest
                    .switchyard_adapter_adapter()
                    .stream_transformer()
                    .call_constructor(&mut self.store, ctx, status, headers)
                    .await
            }
            Instance::AdapterV0_1(guest) => {
                let Some(old_ctx) = compat::call_context(ctx) else {
                    return Err(PluginFault::Contract(unknown_to_0_1(ctx).message));
                };
                guest
                    .switchyard_adapter_adapter()
                    .stream_transformer()
                    .call_constructor(&mut self.store, &old_ctx, status, headers)
                    .await
            }
            Instance::Dialect(_) => return Err(wrong_kind("stream-transformer")),
        };
        match result {
            Ok(resource) => {
                self.open_streams += 1;
                Ok(resource)
            }
            Err(err) => Err(self.fault(err)),
        }
    }

    /// `stream-transformer.push`.
    pub async fn push(
        &mut self,
        stream: ResourceAny,
        events: &[StreamEvent],
    ) -> CallResult<StreamOutput> {
        self.arm()?;
        let result = match &self.instance {
            Instance::Adapter(guest) => {
                guest
                    .switchyard_adapter_adapter()
                    .stream_transformer()
                    .call_push(&mut self.store, stream, events)
                    .await
            }
            Instance::AdapterV0_1(guest) => guest
                .switchyard_adapter_adapter()
                .stream_transformer()
                .call_push(&mut self.store, stream, &compat::stream_events(events))
                .await
                .map(|result| compat::result(result, compat::stream_output)),
            Instance::Dialect(_) => return Err(wrong_kind("stream-transformer.push")),
        };
        result.map_err(|err| self.fault(err))
    }

    /// `stream-transformer.finish`.
    pub async fn finish(&mut self, stream: ResourceAny) -> CallResult<StreamOutput> {
        self.arm()?;
        let result = match &self.instance {
            Instance::Adapter(guest) => {
                guest
                    .switchyard_adapter_adapter()
                    .stream_transformer()
                    .call_finish(&mut self.store, stream)
                    .await
            }
            Instance::AdapterV0_1(guest) => guest
                .switchyard_adapter_adapter()
                .stream_transformer()
                .call_finish(&mut self.store, stream)
                .await
                .map(|result| compat::result(result, compat::stream_output)),
            Instance::Dialect(_) => return Err(wrong_kind("stream-transformer.finish")),
        };
        result.map_err(|err| self.fault(err))
    }
}
