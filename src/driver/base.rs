//! BasePlugin: who we are, the plugin config schema, and SetConfig.

use tonic::{Request, Response, Status};

use super::{write_lock, Driver, DriverError, Settings};
use crate::config::{plugin_config_schema, PluginConfig};
use crate::proto::base::base_plugin_server::BasePlugin;
use crate::proto::base::{
    ConfigSchemaRequest, ConfigSchemaResponse, PluginInfoRequest, PluginInfoResponse, PluginType,
    SetConfigRequest, SetConfigResponse,
};

#[tonic::async_trait]
impl BasePlugin for Driver {
    async fn plugin_info(
        &self,
        _request: Request<PluginInfoRequest>,
    ) -> Result<Response<PluginInfoResponse>, Status> {
        Ok(Response::new(PluginInfoResponse {
            r#type: PluginType::Driver as i32,
            plugin_api_versions: crate::plugin::PLUGIN_API_VERSIONS
                .iter()
                .map(|v| v.to_string())
                .collect(),
            plugin_version: crate::PLUGIN_VERSION.to_string(),
            name: crate::DRIVER_NAME.to_string(),
        }))
    }

    async fn config_schema(
        &self,
        _request: Request<ConfigSchemaRequest>,
    ) -> Result<Response<ConfigSchemaResponse>, Status> {
        Ok(Response::new(ConfigSchemaResponse {
            spec: Some(plugin_config_schema()),
        }))
    }

    /// May arrive twice on a short-lived validation process and without
    /// Nomad's client settings, so it only decodes, validates and stores:
    /// an error here stops the whole Nomad agent, so it names key and value.
    async fn set_config(
        &self,
        request: Request<SetConfigRequest>,
    ) -> Result<Response<SetConfigResponse>, Status> {
        let request = request.into_inner();
        let plugin =
            PluginConfig::decode(&request.msgpack_config).map_err(DriverError::PluginConfig)?;
        let topology = request
            .nomad_config
            .and_then(|c| c.driver)
            .and_then(|d| d.topology);

        tracing::info!(
            container_path = ?plugin.container_path,
            gc_container = plugin.gc_container,
            image_pull_timeout_s = plugin.image_pull_timeout.as_secs(),
            api_version = %request.plugin_api_version,
            "plugin configured"
        );
        let metrics = plugin.metrics.clone();
        *write_lock(&self.inner.settings) = Some(Settings { plugin, topology });
        self.apply_metrics_config(metrics.as_ref()).await?;
        self.start_dangling_reconciler();
        Ok(Response::new(SetConfigResponse {}))
    }
}
