//! go-plugin's own services. Nomad's host opens the stdio and broker streams
//! on connect and calls the controller to stop us; none of them carry work.

use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::Notify;
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

use crate::proto::goplugin::grpc_broker_server::GrpcBroker;
use crate::proto::goplugin::grpc_controller_server::GrpcController;
use crate::proto::goplugin::grpc_stdio_server::GrpcStdio;
use crate::proto::goplugin::{ConnInfo, Empty, StdioData};

type PendingStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send>>;

/// Stops the server when the host asks; the host SIGKILLs us 2 s later.
pub struct Controller {
    shutdown: Arc<Notify>,
}

impl Controller {
    pub fn new(shutdown: Arc<Notify>) -> Self {
        Self { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::info!("host asked the plugin to shut down");
        self.shutdown.notify_one();
        Ok(Response::new(Empty {}))
    }
}

/// We never write to stdout or stderr for the host to mirror: logs already go
/// to stderr as hclog lines. The stream stays open and silent.
pub struct Stdio;

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    type StreamStdioStream = PendingStream<StdioData>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}

/// Nomad's drivers never broker extra connections; we read and drop what the
/// host sends so its stream stays healthy.
pub struct Broker;

#[tonic::async_trait]
impl GrpcBroker for Broker {
    type StartStreamStream = PendingStream<ConnInfo>;

    async fn start_stream(
        &self,
        request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        let mut incoming = request.into_inner();
        tokio::spawn(async move {
            while let Some(message) = incoming.next().await {
                match message {
                    Ok(info) => {
                        tracing::debug!(service_id = info.service_id, "broker message ignored")
                    }
                    Err(_) => break,
                }
            }
        });
        Ok(Response::new(Box::pin(tokio_stream::pending())))
    }
}
