//! The Driver gRPC service: each RPC in a span carrying the task ID, handing
//! off to the operation that owns it. Errors become gRPC status in one place
//! (`From<DriverError> for Status`).

use std::pin::Pin;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status, Streaming};
use tracing::Instrument;

use super::fingerprint::FINGERPRINT_PERIOD;
use super::Driver;
use crate::config::task_config_schema;
use crate::proto::drivers::driver_capabilities::{FsIsolation, MountConfigs};
use crate::proto::drivers::driver_server::Driver as DriverRpc;
use crate::proto::drivers::network_isolation_spec::NetworkIsolationMode;
use crate::proto::drivers::*;

type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

fn duration_of(proto: Option<prost_types::Duration>) -> Duration {
    proto
        .and_then(|d| Duration::try_from(d).ok())
        .unwrap_or_default()
}

#[tonic::async_trait]
impl DriverRpc for Driver {
    /// Long-lived work starts lazily, so Init only has to be idempotent: a
    /// reattaching Nomad client calls it again on the same process.
    async fn init(&self, _request: Request<InitRequest>) -> Result<Response<InitResponse>, Status> {
        tracing::debug!("init");
        Ok(Response::new(InitResponse {}))
    }

    async fn shutdown(
        &self,
        _request: Request<ShutdownRequest>,
    ) -> Result<Response<ShutdownResponse>, Status> {
        tracing::info!("shutdown requested; tasks keep running");
        self.shutdown_background_work();
        Ok(Response::new(ShutdownResponse {}))
    }

    async fn task_config_schema(
        &self,
        _request: Request<TaskConfigSchemaRequest>,
    ) -> Result<Response<TaskConfigSchemaResponse>, Status> {
        Ok(Response::new(TaskConfigSchemaResponse {
            spec: Some(task_config_schema()),
        }))
    }

    async fn capabilities(
        &self,
        _request: Request<CapabilitiesRequest>,
    ) -> Result<Response<CapabilitiesResponse>, Status> {
        let config = self.plugin_config();
        Ok(Response::new(CapabilitiesResponse {
            capabilities: Some(DriverCapabilities {
                send_signals: true,
                exec: true,
                fs_isolation: FsIsolation::Image as i32,
                // Every container is its own VM with its own network: Nomad's
                // host ports are published into it (HOST), and the VM is a
                // network the driver makes per task (TASK). Nothing can share
                // a namespace between VMs, so GROUP is not claimed.
                network_isolation_modes: vec![
                    NetworkIsolationMode::Host as i32,
                    NetworkIsolationMode::Task as i32,
                ],
                must_create_network: false,
                // Zero is ANY_MOUNTS; prost names it after its first alias.
                mount_configs: MountConfigs::UnknownMounts as i32,
                disable_log_collection: config.disable_log_collection,
                dynamic_workload_users: false,
            }),
        }))
    }

    type FingerprintStream = ResponseStream<FingerprintResponse>;

    /// First message at once, then every period. Never ends on its own:
    /// Nomad re-calls an ended stream in a hot loop.
    async fn fingerprint(
        &self,
        _request: Request<FingerprintRequest>,
    ) -> Result<Response<Self::FingerprintStream>, Status> {
        let (sender, receiver) = mpsc::channel(1);
        let driver = self.clone();
        let mut stopping = self.inner.stopping.subscribe();
        tokio::spawn(
            async move {
                loop {
                    if !*stopping.borrow() {
                        let message = driver.fingerprint_once().await;
                        if sender.send(Ok(message)).await.is_err() {
                            return;
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(FINGERPRINT_PERIOD) => {}
                        _ = stopping.changed() => {}
                        _ = sender.closed() => return,
                    }
                }
            }
            .instrument(tracing::debug_span!("fingerprint")),
        );
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    type TaskEventsStream = ResponseStream<DriverTaskEvent>;

    async fn task_events(
        &self,
        _request: Request<TaskEventsRequest>,
    ) -> Result<Response<Self::TaskEventsStream>, Status> {
        let mut events = self.inner.events.subscribe();
        let (sender, receiver) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    event = events.recv() => match event {
                        Ok(event) => {
                            if sender.send(Ok(event)).await.is_err() {
                                return;
                            }
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(skipped)) => {
                            tracing::warn!(
                                skipped,
                                "task event stream fell behind; events skipped",
                            );
                        }
                        // The bus lives as long as the driver: keep the stream open.
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                            sender.closed().await;
                            return;
                        }
                    },
                    _ = sender.closed() => return,
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn start_task(
        &self,
        request: Request<StartTaskRequest>,
    ) -> Result<Response<StartTaskResponse>, Status> {
        let task = request
            .into_inner()
            .task
            .ok_or_else(|| Status::invalid_argument("StartTask without a task config"))?;
        let span = tracing::info_span!(
            "start_task",
            task_id = %task.id,
            alloc_id = %task.alloc_id,
            task_name = %task.name
        );
        match self.start_task(task).instrument(span.clone()).await {
            Ok(response) => Ok(Response::new(response)),
            Err(error) => {
                let retryable = error.is_retryable();
                span.in_scope(|| tracing::error!(error = %error, retryable, "task start failed"));
                Err(error.into())
            }
        }
    }

    async fn recover_task(
        &self,
        request: Request<RecoverTaskRequest>,
    ) -> Result<Response<RecoverTaskResponse>, Status> {
        let request = request.into_inner();
        let handle = request
            .handle
            .ok_or_else(|| Status::invalid_argument("RecoverTask without a task handle"))?;
        let task_id = handle
            .config
            .as_ref()
            .map(|c| c.id.clone())
            .unwrap_or(request.task_id);
        let span = tracing::info_span!("recover_task", task_id = %task_id);
        match self.recover_task(handle).instrument(span.clone()).await {
            Ok(()) => Ok(Response::new(RecoverTaskResponse {})),
            Err(error) => {
                span.in_scope(|| tracing::error!(error = %error, "task recovery failed"));
                Err(error.into())
            }
        }
    }

    async fn wait_task(
        &self,
        request: Request<WaitTaskRequest>,
    ) -> Result<Response<WaitTaskResponse>, Status> {
        let id = request.into_inner().task_id;
        let span = tracing::debug_span!("wait_task", task_id = %id);
        Ok(Response::new(self.wait_task(&id).instrument(span).await?))
    }

    async fn stop_task(
        &self,
        request: Request<StopTaskRequest>,
    ) -> Result<Response<StopTaskResponse>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("stop_task", task_id = %request.task_id);
        let grace = duration_of(request.timeout);
        self.stop_task(&request.task_id, grace, &request.signal)
            .instrument(span)
            .await?;
        Ok(Response::new(StopTaskResponse {}))
    }

    async fn destroy_task(
        &self,
        request: Request<DestroyTaskRequest>,
    ) -> Result<Response<DestroyTaskResponse>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("destroy_task", task_id = %request.task_id);
        self.destroy_task(&request.task_id, request.force)
            .instrument(span)
            .await?;
        Ok(Response::new(DestroyTaskResponse {}))
    }

    async fn inspect_task(
        &self,
        request: Request<InspectTaskRequest>,
    ) -> Result<Response<InspectTaskResponse>, Status> {
        Ok(Response::new(
            self.inspect_task(&request.into_inner().task_id).await?,
        ))
    }

    type TaskStatsStream = ResponseStream<TaskStatsResponse>;

    async fn task_stats(
        &self,
        request: Request<TaskStatsRequest>,
    ) -> Result<Response<Self::TaskStatsStream>, Status> {
        let request = request.into_inner();
        let interval = duration_of(request.collection_interval).max(Duration::from_millis(100));
        let stream = self.task_stats(&request.task_id, interval)?;
        Ok(Response::new(stream))
    }

    async fn signal_task(
        &self,
        request: Request<SignalTaskRequest>,
    ) -> Result<Response<SignalTaskResponse>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("signal_task", task_id = %request.task_id);
        self.signal_task(&request.task_id, &request.signal)
            .instrument(span)
            .await?;
        Ok(Response::new(SignalTaskResponse {}))
    }

    async fn exec_task(
        &self,
        request: Request<ExecTaskRequest>,
    ) -> Result<Response<ExecTaskResponse>, Status> {
        let request = request.into_inner();
        let span = tracing::info_span!("exec_task", task_id = %request.task_id);
        let timeout = Some(duration_of(request.timeout)).filter(|t| !t.is_zero());
        let response = self
            .exec_task(&request.task_id, request.command, timeout)
            .instrument(span)
            .await?;
        Ok(Response::new(response))
    }

    type ExecTaskStreamingStream = ResponseStream<ExecTaskStreamingResponse>;

    async fn exec_task_streaming(
        &self,
        request: Request<Streaming<ExecTaskStreamingRequest>>,
    ) -> Result<Response<Self::ExecTaskStreamingStream>, Status> {
        let stream = self.exec_task_streaming(request.into_inner()).await?;
        Ok(Response::new(stream))
    }

    /// Never called on macOS (Nomad's network manager there is a no-op) and
    /// not needed elsewhere: must_create_network is false.
    async fn create_network(
        &self,
        _request: Request<CreateNetworkRequest>,
    ) -> Result<Response<CreateNetworkResponse>, Status> {
        Err(Status::unimplemented(
            "this driver does not create network namespaces",
        ))
    }

    async fn destroy_network(
        &self,
        _request: Request<DestroyNetworkRequest>,
    ) -> Result<Response<DestroyNetworkResponse>, Status> {
        Err(Status::unimplemented(
            "this driver does not create network namespaces",
        ))
    }
}
