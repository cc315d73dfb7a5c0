//! Exec, stats and fingerprints.

use std::time::Duration;

use nomad_driver_container::proto::base::SetConfigRequest;
use nomad_driver_container::proto::drivers::fingerprint_response::HealthState;
use nomad_driver_container::proto::drivers::*;
use tokio_stream::StreamExt;

use crate::support::*;
use crate::{configured_plugin, first_fingerprint, running_task, stats_stream, stop, EXIT_LIMIT};

#[tokio::test]
async fn exec_task_returns_both_streams_and_the_exit_code() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let (_dir, task, _handle) = running_task(
        &plugin,
        "host",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    let response = plugin
        .driver()
        .exec_task(ExecTaskRequest {
            task_id: task.id.clone(),
            command: vec![
                "/bin/sh".into(),
                "-c".into(),
                "echo out; echo err >&2; exit 4".into(),
            ],
            timeout: Some(prost_types::Duration {
                seconds: 10,
                nanos: 0,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.stdout, b"out\n");
    assert_eq!(response.stderr, b"err\n");
    assert_eq!(response.result.unwrap().exit_code, 4);
}

#[tokio::test]
async fn fingerprint_is_healthy_then_unhealthy_when_the_service_stops() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let first = first_fingerprint(&plugin).await;
    assert_eq!(
        first.health,
        HealthState::Healthy as i32,
        "{}",
        first.health_description
    );
    assert!(first.attributes.contains_key("driver.container.version"));

    standin.set_knobs(r#"{"service_down": true}"#);
    let fresh = configured_plugin(&standin).await;
    let down = first_fingerprint(&fresh).await;
    assert_eq!(down.health, HealthState::Unhealthy as i32);
    assert!(
        down.health_description.contains("container system start"),
        "{}",
        down.health_description
    );
}

#[tokio::test]
async fn fingerprint_is_undetected_without_the_cli() {
    let standin = Standin::new();
    let plugin = Plugin::launch(&standin).await;
    plugin
        .configure(std::path::Path::new("/nonexistent/container"), &[])
        .await;
    let mut stream = plugin
        .driver()
        .fingerprint(FingerprintRequest {})
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.health, HealthState::Undetected as i32);
    assert!(first.health_description.contains("/nonexistent/container"));
}

#[tokio::test]
async fn streaming_exec_with_a_tty_runs_input_resizes_and_returns_the_exit_code() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let (_dir, task, _handle) = running_task(
        &plugin,
        "shell",
        "echo ready; while true; do sleep 0.1; done",
    )
    .await;

    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let setup = ExecTaskStreamingRequest {
        setup: Some(exec_task_streaming_request::Setup {
            task_id: task.id.clone(),
            command: vec!["/bin/sh".into()],
            tty: true,
        }),
        ..Default::default()
    };
    sender.send(setup).await.unwrap();
    let mut responses = plugin
        .driver()
        .exec_task_streaming(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .unwrap()
        .into_inner();

    let resize = exec_task_streaming_request::TerminalSize {
        height: 33,
        width: 111,
    };
    sender
        .send(ExecTaskStreamingRequest {
            tty_size: Some(resize),
            ..Default::default()
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let input = b"stty size; exit 6\n".to_vec();
    let stdin = ExecTaskStreamingIoOperation {
        data: input,
        close: false,
    };
    sender
        .send(ExecTaskStreamingRequest {
            stdin: Some(stdin),
            ..Default::default()
        })
        .await
        .unwrap();

    let mut output = String::new();
    let exit_code = loop {
        let message = tokio::time::timeout(EXIT_LIMIT, responses.next())
            .await
            .expect("exec stream stalled")
            .expect("exec stream ended without an exit")
            .unwrap();
        if let Some(stdout) = &message.stdout {
            output.push_str(&String::from_utf8_lossy(&stdout.data));
        }
        if message.exited {
            assert!(
                message.stdout.is_none() && message.stderr.is_none(),
                "exit frame must be alone"
            );
            break message
                .result
                .expect("exit frame carries a result")
                .exit_code;
        }
    };
    assert_eq!(exit_code, 6);
    assert!(
        output.contains("33 111"),
        "terminal size not applied: {output:?}"
    );
}

#[tokio::test]
async fn task_stats_stream_always_carries_usage_and_a_timestamp() {
    let standin = Standin::new();
    standin.set_knobs(r#"{"stats_interval_ms": 200}"#);
    let plugin = configured_plugin(&standin).await;
    let (_dir, task, _handle) =
        running_task(&plugin, "busy", "echo ready; while true; do :; done").await;

    let mut stream = stats_stream(&plugin, &task.id, 300).await;
    let mut measured_percent = None;
    for _ in 0..8 {
        let stats = tokio::time::timeout(EXIT_LIMIT, stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let stats = stats.stats.unwrap();
        assert!(stats.timestamp.is_some());
        let usage = stats.agg_resource_usage.expect("usage is always present");
        let cpu = usage.cpu.unwrap();
        if cpu
            .measured_fields
            .contains(&(cpu_usage::Fields::Percent as i32))
        {
            measured_percent = Some(cpu.percent);
        }
    }
    let percent = measured_percent.expect("CPU percent was never measured");
    // Under a loaded test run the share varies; that it is measured and
    // positive is what this test is about.
    assert!(percent > 0.0, "a busy loop measured {percent}% CPU");
    stop(&plugin, &task.id, "SIGKILL", None).await;
}

#[tokio::test]
async fn a_tty_exec_whose_stdin_closes_at_once_ends_like_cat_at_end_of_file() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;
    let script = "echo ready; while true; do sleep 0.1; done";
    let (_dir, task, _handle) = running_task(&plugin, "catty", script).await;

    let (sender, receiver) = tokio::sync::mpsc::channel(8);
    let setup = exec_task_streaming_request::Setup {
        task_id: task.id.clone(),
        command: vec!["/bin/cat".into()],
        tty: true,
    };
    let size = exec_task_streaming_request::TerminalSize {
        height: 30,
        width: 100,
    };
    let close = ExecTaskStreamingIoOperation {
        data: Vec::new(),
        close: true,
    };
    for message in [
        ExecTaskStreamingRequest {
            setup: Some(setup),
            ..Default::default()
        },
        ExecTaskStreamingRequest {
            tty_size: Some(size),
            ..Default::default()
        },
        ExecTaskStreamingRequest {
            stdin: Some(close),
            ..Default::default()
        },
    ] {
        sender.send(message).await.unwrap();
    }
    let mut responses = plugin
        .driver()
        .exec_task_streaming(tokio_stream::wrappers::ReceiverStream::new(receiver))
        .await
        .unwrap()
        .into_inner();
    let exit_code = loop {
        let message = tokio::time::timeout(EXIT_LIMIT, responses.next())
            .await
            .expect("cat never saw end of file")
            .expect("exec stream ended without an exit")
            .unwrap();
        if message.exited {
            break message.result.unwrap().exit_code;
        }
    };
    assert_eq!(exit_code, 0);
}

/// CPU time the kernel charged `pid` so far (utime + stime), in seconds.
fn cpu_seconds_of(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name in parentheses may hold spaces; fields follow it.
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    ticks as f64 / ticks_per_second
}

/// The driver's CPU percent for a busy loop agrees with the CPU time the
/// kernel charged the loop over the same window, within 20 percentage points
/// (100 = one core). The comparison is against the process's own counters,
/// not against 100%, because parallel tests share this machine's cores.
#[tokio::test]
async fn cpu_percent_of_a_busy_loop_matches_the_cpu_time_it_was_charged() {
    let standin = Standin::new();
    standin.set_knobs(r#"{"stats_interval_ms": 500}"#);
    let plugin = configured_plugin(&standin).await;
    let marker = format!("cpu-burner-{}", std::process::id());
    let script = format!("echo ready; exec sh -c 'while :; do :; done' {marker}");
    let (_dir, task, _handle) = running_task(&plugin, "burner", &script).await;
    let pids = processes_matching(&marker);
    assert_eq!(pids.len(), 1, "busy loop processes: {pids:?}");

    let mut stream = stats_stream(&plugin, &task.id, 500).await;
    let mut next_percent = async || loop {
        let message = tokio::time::timeout(EXIT_LIMIT, stream.next())
            .await
            .expect("no stats message in time")
            .unwrap()
            .unwrap();
        let cpu = message
            .stats
            .unwrap()
            .agg_resource_usage
            .unwrap()
            .cpu
            .unwrap();
        if cpu
            .measured_fields
            .contains(&(cpu_usage::Fields::Percent as i32))
        {
            return cpu.percent;
        }
    };

    // The first measured figure needs two samples; the window starts after.
    next_percent().await;
    let (cpu_before, wall_before) = (cpu_seconds_of(pids[0]), std::time::Instant::now());
    let mut reported = Vec::new();
    for _ in 0..12 {
        reported.push(next_percent().await);
    }
    let charged = (cpu_seconds_of(pids[0]) - cpu_before) / wall_before.elapsed().as_secs_f64();
    let charged_percent = charged * 100.0;
    let reported_mean = reported.iter().sum::<f64>() / reported.len() as f64;

    assert!(
        (reported_mean - charged_percent).abs() <= 20.0,
        "driver reported {reported_mean:.1}% on average ({reported:.0?}); the kernel charged \
         {charged_percent:.1}%"
    );
    stop(&plugin, &task.id, "SIGKILL", None).await;
}

/// Each health check is one `container system status`: the CLI's version is
/// read once per binary and the host's facts come from files, not processes.
#[tokio::test]
async fn fingerprint_attributes_describe_the_host_and_a_check_costs_one_cli_call() {
    let standin = Standin::new();
    let plugin = configured_plugin(&standin).await;

    let first = first_fingerprint(&plugin).await;
    let attribute = |key: &str| {
        first
            .attributes
            .get(key)
            .and_then(|attribute| attribute.value.clone())
    };
    use nomad_driver_container::proto::structs::attribute::Value;
    assert_eq!(attribute("driver.container"), Some(Value::BoolVal(true)));
    let machine = nix::sys::utsname::uname().unwrap();
    let machine = machine.machine().to_string_lossy().into_owned();
    assert_eq!(
        attribute("driver.container.arch"),
        Some(Value::StringVal(machine))
    );
    assert_eq!(
        attribute("driver.container.rosetta"),
        Some(Value::BoolVal(false))
    );
    assert!(matches!(
        attribute("driver.container.version"),
        Some(Value::StringVal(version)) if !version.is_empty()
    ));
    assert!(attribute("driver.container.os_version").is_some());

    let calls_before = standin.calls().len();
    let again = first_fingerprint(&plugin).await;
    assert_eq!(again.health, HealthState::Healthy as i32);
    let new_calls = &standin.calls()[calls_before..];
    assert_eq!(
        new_calls,
        [["system", "status", "--format", "json"]
            .map(String::from)
            .to_vec()],
        "a second check must cost exactly one CLI call"
    );
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// One HTTP GET over loopback; returns the status line, headers and body.
async fn http_get(port: u16, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

fn metrics_config(address: &str, interval: &str) -> (&'static str, rmpv::Value) {
    let block = rmpv::Value::Map(vec![
        (rmpv::Value::from("address"), rmpv::Value::from(address)),
        (rmpv::Value::from("interval"), rmpv::Value::from(interval)),
    ]);
    ("metrics", block)
}

/// The opt-in endpoint offers what Nomad's protocol cannot carry (network,
/// block I/O) beside CPU and memory, per task, from the one shared sampler.
#[tokio::test]
async fn prometheus_endpoint_serves_each_tasks_usage_labelled_and_drops_ended_tasks() {
    let standin = Standin::new();
    standin.set_knobs(r#"{"stats_interval_ms": 200}"#);
    let port = free_port();
    let plugin = Plugin::launch(&standin).await;
    let address = format!("127.0.0.1:{port}");
    plugin
        .configure(&standin_binary(), &[metrics_config(&address, "1s")])
        .await;
    let (web_dir, web, _) = running_task(&plugin, "web", "echo ready; exec sleep 300").await;
    let (_worker_dir, worker, _) =
        running_task(&plugin, "worker", "echo ready; exec sleep 300").await;
    let series = |dir: &TaskDir, task: &str| {
        format!(
            "{{namespace=\"default\",job=\"job\",group=\"group\",task=\"{task}\",\
             alloc_id=\"{}\"}}",
            dir.alloc_id
        )
    };
    let web_memory = format!(
        "nomad_container_memory_usage_bytes{}",
        series(&web_dir, "web")
    );

    let window_start = std::time::Instant::now();
    let calls_before = standin.calls().len();
    let deadline = std::time::Instant::now() + EXIT_LIMIT;
    let scrape = loop {
        let scrape = http_get(port, "/metrics").await;
        if scrape.contains(&web_memory) && scrape.contains("task=\"worker\"") {
            break scrape;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "tasks never scraped:\n{scrape}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(scrape.starts_with("HTTP/1.1 200"), "{scrape}");
    assert!(scrape.contains("application/openmetrics-text"), "{scrape}");
    assert!(scrape.contains("\nnomad_container_tasks 2\n"), "{scrape}");
    for family in [
        "nomad_container_cpu_seconds_total",
        "nomad_container_memory_limit_bytes",
        "nomad_container_block_read_bytes_total",
        "nomad_container_processes",
    ] {
        let line = format!("{family}{}", series(&web_dir, "web"));
        assert!(scrape.contains(&line), "no {line} in:\n{scrape}");
    }

    // The stand-in's "VMs" have no network interfaces of their own, so it
    // reports no network counters (as Apple omits what a guest did not
    // report); their rendering is covered by the endpoint's unit tests.

    // Scrapes cost no CLI call of their own: the sampler runs once a second.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for _ in 0..20 {
        http_get(port, "/metrics").await;
    }
    let window = window_start.elapsed().as_secs_f64();
    let stats_calls = standin.calls()[calls_before..]
        .iter()
        .filter(|call| call.first().map(String::as_str) == Some("stats"))
        .count();
    assert!(
        stats_calls as f64 <= window + 2.0,
        "{stats_calls} stats calls in {window:.1}s at a 1s interval"
    );

    // A task that ended leaves the next scrape.
    stop(&plugin, &web.id, "SIGKILL", None).await;
    wait_exit(&mut plugin.driver(), &web.id, EXIT_LIMIT).await;
    let after = http_get(port, "/metrics").await;
    assert!(!after.contains("task=\"web\""), "{after}");
    assert!(after.contains("task=\"worker\""), "{after}");
    drop(worker);
}

#[tokio::test]
async fn metrics_address_already_in_use_fails_set_config_naming_it() {
    let standin = Standin::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let plugin = Plugin::launch(&standin).await;
    let request = SetConfigRequest {
        msgpack_config: msgpack(&[
            (
                "container_path",
                rmpv::Value::from(standin_binary().to_str().unwrap()),
            ),
            metrics_config(&address, "10s"),
        ]),
        nomad_config: None,
        plugin_api_version: "v0.1.0".into(),
    };
    let status = plugin.base().set_config(request).await.unwrap_err();
    assert!(
        status.message().contains(&format!(
            "metrics.address = \"{address}\": cannot listen there"
        )),
        "{status:?}"
    );
}
