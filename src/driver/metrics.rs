//! The opt-in Prometheus endpoint. Nomad's protocol has no field for a
//! task's network or block I/O, so they are offered here, with CPU and
//! memory, for every running task. The figures come from the same shared
//! sampler that answers TaskStats: the endpoint is one more listener of it,
//! so scrapes never cost a CLI call of their own.
//!
//! The endpoint has no authentication, so configuration accepts loopback
//! addresses only.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{header, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::stats::{Sample, Subscription, Usage};
use super::task::TaskEntry;
use super::{Driver, DriverError};
use crate::config::MetricsConfig;

/// OpenMetrics text, which Prometheus negotiates and scrapes natively.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Scrapers open one connection at a time; this leaves room for several.
const MAX_CONNECTIONS: usize = 16;
/// Pause after a failed accept.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_secs(1);
/// How long a client may take to send its request headers.
const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A running endpoint; dropping it stops the server and its sampling.
pub struct MetricsEndpoint {
    pub config: MetricsConfig,
    stop: watch::Sender<bool>,
}

impl Drop for MetricsEndpoint {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

impl Driver {
    /// Starts, moves or stops the endpoint to match the plugin config. A
    /// SetConfig that repeats the same settings leaves a running endpoint be.
    pub(super) async fn apply_metrics_config(
        &self,
        wanted: Option<&MetricsConfig>,
    ) -> Result<(), DriverError> {
        let mut current = super::lock(&self.inner.metrics).take();
        if current.as_ref().map(|endpoint| &endpoint.config) == wanted {
            *super::lock(&self.inner.metrics) = current;
            return Ok(());
        }
        let Some(config) = wanted else {
            return Ok(());
        };
        // Moving to another address: the new one must listen before the old
        // one stops, so a failed move leaves the working endpoint serving.
        // On the same address, the old listener must go first.
        let same_address = current
            .as_ref()
            .is_some_and(|endpoint| endpoint.config.address == config.address);
        if same_address {
            drop(current.take());
        }
        let listener = match bind_with_retry(config.address).await {
            Ok(listener) => listener,
            Err(error) => {
                *super::lock(&self.inner.metrics) = current;
                return Err(DriverError::BadRequest(format!(
                    "metrics.address = \"{}\": cannot listen there: {error}",
                    config.address
                )));
            }
        };
        drop(current);
        let endpoint = self.serve_metrics(listener, config.clone());
        *super::lock(&self.inner.metrics) = Some(endpoint);
        Ok(())
    }

    fn serve_metrics(&self, listener: TcpListener, config: MetricsConfig) -> MetricsEndpoint {
        let (stop, mut stopped) = watch::channel(false);
        let mut shutdown = self.inner.stopping.subscribe();
        // Keeping a subscription keeps the sampler running at our interval.
        let subscription = match self.cli() {
            Ok(cli) => Some(self.inner.stats.subscribe(cli, config.interval)),
            Err(error) => {
                tracing::warn!(error = %error, "metrics endpoint has no CLI to sample with");
                None
            }
        };
        let collector = TaskUsageCollector {
            driver: self.clone(),
            subscription: subscription.map(Arc::new),
        };
        let mut registry = Registry::default();
        registry.register_collector(Box::new(collector));
        let registry = Arc::new(registry);

        tracing::info!(address = %config.address, "serving Prometheus metrics on /metrics");
        let connections = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => break,
                    _ = shutdown.changed() => break,
                };
                match accepted {
                    Ok((stream, _)) => {
                        // Past the cap a connection is closed at once: a
                        // flood must not take the descriptors CLI calls need.
                        let Ok(permit) = connections.clone().try_acquire_owned() else {
                            continue;
                        };
                        let registry = registry.clone();
                        tokio::spawn(async move {
                            serve_connection(stream, registry).await;
                            drop(permit);
                        });
                    }
                    Err(error) => {
                        // Out of descriptors, typically: retrying at once
                        // would spin a core and flood the log.
                        tracing::warn!(error = %error, "metrics endpoint cannot accept");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                }
            }
            tracing::debug!("metrics endpoint stopped");
        });
        MetricsEndpoint { config, stop }
    }
}

/// Binds, allowing a moment for a listener we just dropped to release the
/// same address (its accept loop ends on the next scheduler turn).
async fn bind_with_retry(address: SocketAddr) -> std::io::Result<TcpListener> {
    let mut attempts = 0;
    loop {
        match TcpListener::bind(address).await {
            Err(error) if error.kind() == std::io::ErrorKind::AddrInUse && attempts < 10 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

async fn serve_connection(stream: tokio::net::TcpStream, registry: Arc<Registry>) {
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let registry = registry.clone();
        async move { Ok::<_, std::convert::Infallible>(respond(&request, &registry)) }
    });
    let served = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = served {
        tracing::debug!(error = %error, "metrics connection ended with an error");
    }
}

fn respond<B>(request: &Request<B>, registry: &Registry) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, content_type: &str, body: String| {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, content_type)
            .body(Full::new(Bytes::from(body)))
            .expect("a static status and header always build a response")
    };
    let text = "text/plain; charset=utf-8";
    if !addressed_to_loopback(request) {
        // A page elsewhere that rebinds its DNS name to 127.0.0.1 would
        // otherwise read task names through the visitor's browser.
        return reply(
            StatusCode::MISDIRECTED_REQUEST,
            text,
            "only requests addressed to localhost or a loopback address are served\n".into(),
        );
    }
    match (request.method(), request.uri().path()) {
        (&Method::GET, "/metrics") => {
            let mut body = String::new();
            match prometheus_client::encoding::text::encode(&mut body, registry) {
                Ok(()) => reply(StatusCode::OK, CONTENT_TYPE, body),
                Err(error) => reply(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    text,
                    format!("cannot encode metrics: {error}\n"),
                ),
            }
        }
        (&Method::GET, "/") => reply(
            StatusCode::OK,
            text,
            "nomad-driver-container: task metrics are on /metrics\n".into(),
        ),
        (&Method::GET, _) => reply(StatusCode::NOT_FOUND, text, "not found\n".into()),
        _ => reply(
            StatusCode::METHOD_NOT_ALLOWED,
            text,
            "only GET is served\n".into(),
        ),
    }
}

/// Whether the request names this host by a loopback name: its Host header
/// (or absolute URI) is `localhost`, `127.x.x.x` or `[::1]`, with any port.
/// A request without either (HTTP/1.0) is taken as addressed to us.
fn addressed_to_loopback<B>(request: &Request<B>) -> bool {
    let host = match request.uri().host() {
        Some(host) => host.to_string(),
        None => match request.headers().get(header::HOST) {
            None => return true,
            Some(value) => match value.to_str() {
                Ok(text) => host_part(text).to_string(),
                Err(_) => return false,
            },
        },
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `host:port`, `[v6]:port` or `host` → the host.
fn host_part(authority: &str) -> &str {
    if let Some(rest) = authority.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// Renders the newest sample for every task the driver tracks, at scrape
/// time, so a task that is gone is gone from the next scrape too.
struct TaskUsageCollector {
    driver: Driver,
    subscription: Option<Arc<Subscription>>,
}

impl std::fmt::Debug for TaskUsageCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskUsageCollector").finish_non_exhaustive()
    }
}

type Labels = [(&'static str, String); 5];

fn labels_of(task: &TaskEntry) -> Labels {
    let target = &task.target;
    [
        ("namespace", target.namespace.clone()),
        ("job", target.job_name.clone()),
        ("group", target.group_name.clone()),
        ("task", target.task_name.clone()),
        ("alloc_id", target.alloc_id.clone()),
    ]
}

/// One metric family: its name, help, and how to read it from a usage.
struct Family {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    read: fn(&Usage) -> Option<f64>,
}

const FAMILIES: [Family; 9] = [
    Family {
        name: "nomad_container_cpu_usage_percent",
        help: "CPU use over the last sample interval; 100 is one full core.",
        kind: MetricType::Gauge,
        read: |usage| usage.cpu_percent,
    },
    Family {
        name: "nomad_container_cpu_seconds",
        help: "CPU time the container's VM used since it booted.",
        kind: MetricType::Counter,
        read: |usage| usage.raw.cpu_usage_usec.map(|usec| usec as f64 / 1e6),
    },
    Family {
        name: "nomad_container_memory_usage_bytes",
        help: "Memory in use inside the container's VM.",
        kind: MetricType::Gauge,
        read: |usage| usage.memory_bytes.map(|bytes| bytes as f64),
    },
    Family {
        name: "nomad_container_memory_limit_bytes",
        help: "Memory the container's VM was given.",
        kind: MetricType::Gauge,
        read: |usage| usage.raw.memory_limit_bytes.map(|bytes| bytes as f64),
    },
    Family {
        name: "nomad_container_network_receive_bytes",
        help: "Bytes received on the container's network interfaces since boot.",
        kind: MetricType::Counter,
        read: |usage| usage.raw.network_rx_bytes.map(|bytes| bytes as f64),
    },
    Family {
        name: "nomad_container_network_transmit_bytes",
        help: "Bytes sent on the container's network interfaces since boot.",
        kind: MetricType::Counter,
        read: |usage| usage.raw.network_tx_bytes.map(|bytes| bytes as f64),
    },
    Family {
        name: "nomad_container_block_read_bytes",
        help: "Bytes read from the container's block devices since boot.",
        kind: MetricType::Counter,
        read: |usage| usage.raw.block_read_bytes.map(|bytes| bytes as f64),
    },
    Family {
        name: "nomad_container_block_write_bytes",
        help: "Bytes written to the container's block devices since boot.",
        kind: MetricType::Counter,
        read: |usage| usage.raw.block_write_bytes.map(|bytes| bytes as f64),
    },
    Family {
        name: "nomad_container_processes",
        help: "Processes running inside the container.",
        kind: MetricType::Gauge,
        read: |usage| usage.raw.num_processes.map(|count| count as f64),
    },
];

impl Collector for TaskUsageCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let tasks = self.driver.running_tasks();
        let sample: Arc<Sample> = match &self.subscription {
            Some(subscription) => subscription.samples.borrow().clone(),
            None => Arc::default(),
        };

        let tracked = encoder.encode_descriptor(
            "nomad_container_tasks",
            "Tasks the driver runs now.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(tasks.len() as i64).encode(tracked)?;

        let measured: Vec<(Labels, &Usage)> = tasks
            .iter()
            .filter_map(|task| {
                let usage = sample.by_container.get(task.container())?;
                Some((labels_of(task), usage))
            })
            .collect();
        encode_usage(&mut encoder, &measured)
    }
}

/// Every family with at least one measured value; a figure the guest did
/// not report is left out, never shown as zero.
fn encode_usage(
    encoder: &mut DescriptorEncoder<'_>,
    measured: &[(Labels, &Usage)],
) -> Result<(), std::fmt::Error> {
    for family in &FAMILIES {
        let values: Vec<(&Labels, f64)> = measured
            .iter()
            .filter_map(|(labels, usage)| Some((labels, (family.read)(usage)?)))
            .collect();
        if values.is_empty() {
            continue;
        }
        let mut metric = encoder.encode_descriptor(family.name, family.help, None, family.kind)?;
        for (labels, value) in values {
            let series = metric.encode_family(labels)?;
            match family.kind {
                MetricType::Counter => ConstCounter::new(value).encode(series)?,
                _ => ConstGauge::new(value).encode(series)?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, path: &str) -> Request<()> {
        Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap()
    }

    use crate::runtime::ContainerStats;

    /// A fixed sample, rendered as the endpoint renders a live one.
    #[derive(Debug)]
    struct Fixed(Vec<(Labels, Usage)>);

    impl Collector for Fixed {
        fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
            let measured: Vec<(Labels, &Usage)> = self
                .0
                .iter()
                .map(|(labels, usage)| (labels.clone(), usage))
                .collect();
            encode_usage(&mut encoder, &measured)
        }
    }

    fn labels(task: &str) -> Labels {
        [
            ("namespace", "default".into()),
            ("job", "shop \"eu\"".into()),
            ("group", "api".into()),
            ("task", task.into()),
            ("alloc_id", "a1".into()),
        ]
    }

    fn render(collector: Fixed) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(collector));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        text
    }

    #[test]
    fn network_and_block_counters_are_served_and_unreported_figures_left_out() {
        let full = Usage {
            cpu_percent: Some(12.5),
            memory_bytes: Some(4096),
            raw: ContainerStats {
                id: "web-a1".into(),
                cpu_usage_usec: Some(2_500_000),
                memory_usage_bytes: Some(4096),
                memory_limit_bytes: Some(1 << 30),
                network_rx_bytes: Some(183_220),
                network_tx_bytes: Some(90_411),
                block_read_bytes: Some(5_242_880),
                block_write_bytes: Some(1_048_576),
                num_processes: Some(3),
            },
        };
        let sparse = Usage {
            cpu_percent: None,
            memory_bytes: Some(1024),
            raw: ContainerStats {
                id: "db-a1".into(),
                cpu_usage_usec: None,
                memory_usage_bytes: Some(1024),
                memory_limit_bytes: None,
                network_rx_bytes: None,
                network_tx_bytes: None,
                block_read_bytes: None,
                block_write_bytes: None,
                num_processes: None,
            },
        };
        let text = render(Fixed(vec![(labels("web"), full), (labels("db"), sparse)]));

        let web = r#"{namespace="default",job="shop \"eu\"",group="api",task="web",alloc_id="a1"}"#;
        for line in [
            format!("nomad_container_cpu_usage_percent{web} 12.5"),
            format!("nomad_container_cpu_seconds_total{web} 2.5"),
            format!("nomad_container_network_receive_bytes_total{web} 183220.0"),
            format!("nomad_container_network_transmit_bytes_total{web} 90411.0"),
            format!("nomad_container_block_read_bytes_total{web} 5242880.0"),
            format!("nomad_container_block_write_bytes_total{web} 1048576.0"),
            format!("nomad_container_processes{web} 3.0"),
            "# TYPE nomad_container_network_receive_bytes counter".to_string(),
        ] {
            assert!(text.contains(&line), "no {line:?} in:\n{text}");
        }
        assert!(
            text.contains(r#"task="db",alloc_id="a1"} 1024.0"#),
            "{text}"
        );
        let db_lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains(r#"task="db""#))
            .collect();
        assert_eq!(
            db_lines.len(),
            1,
            "only db's memory was measured: {db_lines:?}"
        );
    }

    #[test]
    fn only_requests_addressed_to_a_loopback_name_are_served() {
        let registry = Registry::default();
        let with_host = |host: &str| {
            Request::builder()
                .uri("/metrics")
                .header(header::HOST, host)
                .body(())
                .unwrap()
        };
        for host in [
            "localhost:9101",
            "127.0.0.1:9101",
            "[::1]:9101",
            "LOCALHOST",
            "127.0.0.2",
        ] {
            assert_eq!(respond(&with_host(host), &registry).status(), 200, "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:9101",
            "192.168.1.5:9101",
            "localhost.evil",
        ] {
            assert_eq!(respond(&with_host(host), &registry).status(), 421, "{host}");
        }
        let absolute = request(Method::GET, "http://evil.example/metrics");
        assert_eq!(respond(&absolute, &registry).status(), 421);
    }

    #[test]
    fn only_get_on_known_paths_is_served() {
        let registry = Registry::default();
        assert_eq!(
            respond(&request(Method::GET, "/metrics"), &registry).status(),
            200
        );
        assert_eq!(respond(&request(Method::GET, "/"), &registry).status(), 200);
        assert_eq!(
            respond(&request(Method::GET, "/debug"), &registry).status(),
            404
        );
        assert_eq!(
            respond(&request(Method::POST, "/metrics"), &registry).status(),
            405
        );
    }
}
