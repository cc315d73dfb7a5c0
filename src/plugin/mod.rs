//! The process Nomad launches: go-plugin's handshake and the gRPC server that
//! carries Nomad's BasePlugin and Driver services next to go-plugin's own.

mod handshake;
mod services;

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::UnixListener;
use tokio::sync::Notify;
use tokio_stream::wrappers::UnixListenerStream;
use tonic::transport::Server;

use crate::driver::Driver;
use crate::proto::base::base_plugin_server::BasePluginServer;
use crate::proto::drivers::driver_server::DriverServer;
use crate::proto::goplugin::grpc_broker_server::GrpcBrokerServer;
use crate::proto::goplugin::grpc_controller_server::GrpcControllerServer;
use crate::proto::goplugin::grpc_stdio_server::GrpcStdioServer;

pub use handshake::{
    choose_socket_path, fits_socket_limit, handshake_line, MAGIC_COOKIE, MAGIC_COOKIE_KEY,
};

/// Nomad plugin API versions we speak.
pub const PLUGIN_API_VERSIONS: &[&str] = &["v0.1.0"];

/// Nomad's application protocol version in go-plugin's handshake.
pub const APP_PROTOCOL_VERSION: u32 = 2;

/// How long in-flight calls get after the host asks us to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Messages larger than gRPC's 4 MiB default can occur (exec output).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// True when Nomad (or a go-plugin host acting like it) started us.
pub fn launched_by_nomad() -> bool {
    std::env::var_os(MAGIC_COOKIE_KEY).is_some()
}

/// Serves the plugin until the host shuts it down.
pub fn run() -> ExitCode {
    crate::logging::init(crate::DRIVER_NAME, std::io::stderr);

    if let Err(refusal) = handshake::check_host_environment() {
        // go-plugin's own servers print this to stderr and exit 1.
        eprintln!("{refusal}");
        return ExitCode::FAILURE;
    }

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(error = %error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "plugin stopped with an error");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> anyhow::Result<()> {
    use anyhow::Context;

    ignore_terminal_interrupts();

    let socket_path = choose_socket_path(std::process::id())?;
    let listener = UnixListener::bind(&socket_path)
        .with_context(|| format!("binding the plugin socket {}", socket_path.display()))?;
    let _socket_guard = handshake::RemoveOnDrop(socket_path.clone());

    let shutdown = Arc::new(Notify::new());
    let driver = Driver::new();
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status("plugin", tonic_health::ServingStatus::Serving)
        .await;

    let server = Server::builder()
        .add_service(health_service)
        .add_service(GrpcControllerServer::new(services::Controller::new(
            shutdown.clone(),
        )))
        .add_service(GrpcStdioServer::new(services::Stdio))
        .add_service(GrpcBrokerServer::new(services::Broker))
        .add_service(
            BasePluginServer::new(driver.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(
            DriverServer::new(driver.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
        );

    handshake::announce(&socket_path).context("writing the go-plugin handshake to stdout")?;
    tracing::info!(
        path = %socket_path.display(),
        version = crate::PLUGIN_VERSION,
        "plugin serving",
    );

    let (stop_sender, stop_receiver) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve_with_incoming_shutdown(
        UnixListenerStream::new(listener),
        async {
            let _ = stop_receiver.await;
        },
    ));

    tokio::select! {
        _ = shutdown.notified() => {}
        _ = terminate_signal() => tracing::info!("SIGTERM received; shutting down"),
    }
    let _ = stop_sender.send(());
    // Graceful shutdown waits for every open stream, and Nomad's fingerprint
    // and event streams never end; the host kills us 2 s after Shutdown, so
    // we give in-flight calls one second and then leave on our own.
    match tokio::time::timeout(SHUTDOWN_GRACE, serving).await {
        Ok(Ok(Err(error))) => return Err(error).context("serving gRPC"),
        Ok(_) => {}
        Err(_) => tracing::debug!("streams still open at shutdown; closing them"),
    }

    driver.shutdown_background_work();
    tracing::info!("plugin exiting; tasks keep running under their supervisors");
    Ok(())
}

/// Go plugins ignore SIGINT for their whole life: a Ctrl-C at the agent's
/// terminal reaches the plugin too, and the agent decides when we stop.
fn ignore_terminal_interrupts() {
    // SAFETY: installing SIG_IGN has no handler code to be unsafe about.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

async fn terminate_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut stream) => {
            stream.recv().await;
        }
        Err(error) => {
            tracing::warn!(error = %error, "cannot watch SIGTERM");
            std::future::pending::<()>().await;
        }
    }
}
