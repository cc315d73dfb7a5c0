//! Secret hygiene: registry passwords (a task's own and the plugin's) and
//! env values (from the job's `env` and from Nomad's task environment) must
//! reach the container, and nothing else: no process's argv at any moment,
//! no line the plugin logs, no file the supervisors write, no CLI call the
//! stand-in records, no driver state handed to Nomad.

use std::time::Duration;

use nomad_driver_container::proto::drivers::*;
use rmpv::Value;

use crate::support::*;
use crate::{auth_block, start, EXIT_LIMIT, PRIVATE_IMAGE, REGISTRY_PASSWORD};

/// The plugin's own registry login, for a fixture image only it can pull.
const PLUGIN_REGISTRY: &str = "vault.secrets.test";
const PLUGIN_IMAGE: &str = "vault.secrets.test/team/tool:2";
const PLUGIN_PASSWORD: &str = "pl4gin-pw-7731";
/// Values a job puts in `env`, and Nomad in the task environment (as from a
/// `template` with `env = true` or Vault).
const CONFIG_ENV_SECRET: &str = "cfg-secret-4412";
const NOMAD_ENV_SECRET: &str = "nomad-env-secret-9981";

const SECRETS: &[&str] = &[
    REGISTRY_PASSWORD,
    PLUGIN_PASSWORD,
    CONFIG_ENV_SECRET,
    NOMAD_ENV_SECRET,
];

/// The script proves each secret arrived without naming any in its argv:
/// it matches a prefix and prints a marker.
const CHECK_SCRIPT: &str = "case \"$API_TOKEN\" in cfg-secret-*) echo token-ok;; esac; \
     case \"$DB_PASSWORD\" in nomad-env-secret-*) echo db-ok;; esac; \
     echo ready; while true; do sleep 0.1; done";

fn add_plugin_registry_fixture(standin: &Standin) {
    let registry = standin.root.path().join("registry");
    std::fs::create_dir_all(&registry).unwrap();
    let fixture = serde_json::json!({
        "reference": PLUGIN_IMAGE,
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"]},
        "credentials": {"username": "robot", "password": PLUGIN_PASSWORD},
    });
    std::fs::write(registry.join("vault.json"), fixture.to_string()).unwrap();
}

fn plugin_auth_block() -> Value {
    Value::Map(vec![
        (Value::from("username"), Value::from("robot")),
        (Value::from("password"), Value::from(PLUGIN_PASSWORD)),
        (Value::from("server_address"), Value::from(PLUGIN_REGISTRY)),
    ])
}

/// A task on `image` that checks its secret env; `auth` is its own login.
fn secret_task(dir: &TaskDir, image: &str, auth: Option<Value>) -> TaskConfig {
    let env = Value::Map(vec![(
        Value::from("API_TOKEN"),
        Value::from(CONFIG_ENV_SECRET),
    )]);
    let mut config = with(shell_task(CHECK_SCRIPT), "image", Value::from(image));
    config = with(config, "env", env);
    if let Some(auth) = auth {
        config = with(config, "auth", auth);
    }
    let mut task = dir.task_config(&config);
    task.env
        .insert("DB_PASSWORD".into(), NOMAD_ENV_SECRET.into());
    task
}

fn assert_no_secret_in(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret:?} appears in {what}");
    }
}

fn assert_no_secret_in_files(dir: &TaskDir) {
    // The env file holds the values by design (0600, for `--env-file`) and
    // is removed once the container exists; everything else is checked.
    let found = files_containing(dir.alloc.path(), SECRETS, &["env"]);
    assert!(found.is_empty(), "secrets in files: {found:?}");
}

fn has_supervisor_log(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            let path = entry.path();
            path.file_name()
                .is_some_and(|name| name == "supervisor.log")
                || (path.is_dir() && has_supervisor_log(&path))
        })
}

async fn stop_and_destroy(plugin: &Plugin, task_id: &str) {
    crate::stop(plugin, task_id, "", Some(2)).await;
    let mut driver = plugin.driver();
    wait_exit(&mut driver, task_id, EXIT_LIMIT).await;
    driver
        .destroy_task(DestroyTaskRequest {
            task_id: task_id.into(),
            force: true,
        })
        .await
        .expect("DestroyTask failed");
}

#[tokio::test]
async fn no_secret_reaches_argv_logs_files_or_driver_state_from_start_to_destroy() {
    let standin = Standin::new();
    add_plugin_registry_fixture(&standin);
    let watch = ArgvWatch::start(SECRETS);

    let mut first = Plugin::launch(&standin).await;
    first
        .configure(&standin_binary(), &[("auth", plugin_auth_block())])
        .await;
    let task_auth_dir = TaskDir::new("taskauth");
    let task_auth = secret_task(
        &task_auth_dir,
        PRIVATE_IMAGE,
        Some(auth_block("ci-bot", REGISTRY_PASSWORD)),
    );
    let plugin_auth_dir = TaskDir::new("pluginauth");
    let plugin_auth = secret_task(&plugin_auth_dir, PLUGIN_IMAGE, None);

    let handles = [
        start(&first, task_auth.clone()).await,
        start(&first, plugin_auth.clone()).await,
    ];
    for dir in [&task_auth_dir, &plugin_auth_dir] {
        let output = dir.stdout.wait_for("ready", EXIT_LIMIT).await;
        assert!(
            output.contains("token-ok\ndb-ok\n"),
            "the secrets did not reach the container: {output:?}"
        );
    }
    // Let the running tasks and the watcher overlap for a while.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Destroy removes the supervisors' state, so their logs are read now.
    for dir in [&task_auth_dir, &plugin_auth_dir] {
        assert!(
            has_supervisor_log(dir.alloc.path()),
            "no supervisor log was written, so none was checked"
        );
        assert_no_secret_in_files(dir);
    }

    // A restarted plugin recovers the tasks from their handles, then stops
    // and destroys them: those paths log and call the CLI too.
    first.kill_hard();
    let second = Plugin::launch(&standin).await;
    second
        .configure(&standin_binary(), &[("auth", plugin_auth_block())])
        .await;
    for handle in &handles {
        crate::recover(&second, handle).await;
    }
    for task in [&task_auth, &plugin_auth] {
        stop_and_destroy(&second, &task.id).await;
    }
    let report = watch.finish();

    assert!(
        report.leaks.is_empty(),
        "secrets in argv: {:?}",
        report.leaks
    );
    assert!(
        report.sweeps >= 10 && report.processes_seen > report.sweeps,
        "the argv watch barely ran: {report:?}"
    );
    for (name, plugin) in [
        ("the first plugin's log", &first),
        ("the second's", &second),
    ] {
        assert!(
            plugin.log().contains("container CLI call"),
            "{name} is empty"
        );
        assert_no_secret_in(name, &plugin.log());
    }
    for handle in &handles {
        assert_no_secret_in(
            "driver state",
            &String::from_utf8_lossy(&handle.driver_state),
        );
    }
    let calls: Vec<String> = standin.calls().iter().map(|argv| argv.join(" ")).collect();
    assert!(calls.iter().any(|call| call.starts_with("registry login")));
    assert_no_secret_in("the CLI calls", &calls.join("\n"));
    assert_no_secret_in_files(&task_auth_dir);
    assert_no_secret_in_files(&plugin_auth_dir);
}
