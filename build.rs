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

    let descriptors = protox::compile(PROTO_FILES, ["proto"])?;
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds(descriptors)?;
    Ok(())
}
