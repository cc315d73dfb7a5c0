//! Compiles our own protocol definitions in `proto/` with protox, a
//! pure-Rust protobuf compiler, so a build needs no system `protoc`.

const PROTO_FILES: &[&str] = &[
    "plugins/base/proto/base.proto",
    "plugins/drivers/proto/driver.proto",
    "plugins/shared/hclspec/hcl_spec.proto",
    "plugins/shared/structs/proto/attribute.proto",
    "plugins/shared/structs/proto/recoverable_error.proto",
    "go-plugin/grpc_controller.proto",
    "go-plugin/grpc_stdio.proto",
    "go-plugin/grpc_broker.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    embed_git_commit();

    let descriptors = protox::compile(PROTO_FILES, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}

/// Sets `NDC_GIT_COMMIT` for `version`: `$NDC_GIT_COMMIT` when a packager
/// sets it, else `git rev-parse`, else "unknown" (a source tarball has no
/// `.git`). A build never fails over it.
fn embed_git_commit() {
    println!("cargo:rerun-if-env-changed=NDC_GIT_COMMIT");
    let from_env = std::env::var("NDC_GIT_COMMIT")
        .ok()
        .filter(|commit| !commit.is_empty());
    let commit = from_env
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=NDC_GIT_COMMIT={commit}");

    // Rebuild when HEAD moves (also in a worktree, whose .git is a file).
    for reference in ["HEAD", "logs/HEAD"] {
        if let Some(path) = git(&["rev-parse", "--git-path", reference]) {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

fn git(args: &[&str]) -> Option<String> {
    let output = std::process::Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    (output.status.success() && !text.trim().is_empty()).then(|| text.trim().to_string())
}
