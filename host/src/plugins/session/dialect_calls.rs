//! The dialect world's calls on a [`Session`] (contract 0.2 dialect components).

use wasmtime::component::ResourceAny;

use super::{CallResult, Instance, PluginFault, Session, wrong_kind};
use crate::plugins::bindings::v0_2::dialect::DialectWorld;
use crate::plugins::bindings::{DialectContext, DialectInfo};

/// The dialect's exports, or the fault for calling them on an adapter.
fn dialect<'a>(instance: &'a Instance, call: &str) -> Result<&'a DialectWorld, PluginFault> {
    match instance {
        Instance::Dialect(guest) => Ok(guest),
        _ => Err(wrong_kind(call)),
    }
}

impl Session {
    /// Asks the dialect to describe itself.
    pub async fn dialect_info(&mut self) -> Result<DialectInfo, PluginFault> {
        self.arm()?;
        let guest = dialect(&self.instance, "info")?.switchyard_adapter_dialect();
        let result = guest.call_info(&mut self.store).await;
        result.map_err(|err| self.fault(err))
    }

    /// `to-chat`: a client request in the dialect, as a chat completions body.
    pub async fn to_chat(&mut self, ctx: &DialectContext, body: &[u8]) -> CallResult<Vec<u8>> {
        self.arm()?;
        let guest = dialect(&self.instance, "to-chat")?.switchyard_adapter_dialect();
        let result = guest.call_to_chat(&mut self.store, ctx, body).await;
        result.map_err(|err| self.fault(err))
    }

    /// `from-chat`: a chat completion, as the dialect's answer body.
    pub async fn from_chat(&mut self, ctx: &DialectContext, body: &[u8]) -> CallResult<Vec<u8>> {
        self.arm()?;
        let guest = dialect(&self.instance, "from-chat")?.switchyard_adapter_dialect();
        let result = guest.call_from_chat(&mut self.store, ctx, body).await;
        result.map_err(|err| self.fault(err))
    }

    /// Creates the `stream-converter` resource for one streamed answer.
    pub async fn open_converter(
        &mut self,
        ctx: &DialectContext,
    ) -> Result<ResourceAny, PluginFault> {
        self.arm()?;
        let guest = dialect(&self.instance, "stream-converter")?.switchyard_adapter_dialect();
        let result = guest
            .stream_converter()
            .call_constructor(&mut self.store, ctx)
            .await;
        match result {
            Ok(resource) => {
                self.open_streams += 1;
                Ok(resource)
            }
            Err(err) => Err(self.fault(err)),
        }
    }

    /// `stream-converter.push`: chat chunks in, dialect events out.
    pub async fn convert(
        &mut self,
        converter: ResourceAny,
        chunks: &[String],
    ) -> CallResult<Vec<String>> {
        self.arm()?;
        let guest = dialect(&self.instance, "stream-converter.push")?.switchyard_adapter_dialect();
        let result = guest
            .stream_converter()
            .call_push(&mut self.store, converter, chunks)
            .await;
        result.map_err(|err| self.fault(err))
    }

    /// `stream-converter.finish`: the events that close a complete answer.
    pub async fn finish_conversion(&mut self, converter: ResourceAny) -> CallResult<Vec<String>> {
        self.arm()?;
        let guest =
            dialect(&self.instance, "stream-converter.finish")?.switchyard_adapter_dialect();
        let result = guest
            .stream_converter()
            .call_finish(&mut self.store, converter)
            .await;
        result.map_err(|err| self.fault(err))
    }

    /// `stream-converter.fail`: the events that end the answer with `error`.
    pub async fn fail_conversion(
        &mut self,
        converter: ResourceAny,
        error: &crate::plugins::bindings::ApiError,
    ) -> Result<Vec<String>, PluginFault> {
        self.arm()?;
        let guest = dialect(&self.instance, "stream-converter.fail")?.switchyard_adapter_dialect();
        let result = guest
            .stream_converter()
            .call_fail(&mut self.store, converter, error)
            .await;
        result.map_err(|err| self.fault(err))
    }
}
