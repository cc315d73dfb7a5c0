# A Nomad client agent config that loads the driver, joining the server in
# server.hcl on the same Mac.
#   nomad agent -config examples/nomad/client.hcl
#
# `nomad-driver-container setup --client-config examples/nomad/client.hcl`
# rewrites the plugin block below with the answers you give and leaves the
# rest of the file as it is; `nomad-driver-container doctor` checks it.
#
# The plugin block's label must equal the binary's file name in plugin_dir
# (nomad-driver-container); jobs select the driver by its own name,
# driver = "container".
data_dir   = "/opt/nomad/data"
plugin_dir = "/opt/nomad/plugins"

client {
  enabled = true
  servers = ["127.0.0.1:4647"]
}

# The server in server.hcl has the default HTTP port.
ports {
  http = 5646
}

plugin "nomad-driver-container" {
  config {
    # Empty: search PATH, then /usr/local/bin/container and
    # /opt/homebrew/bin/container.
    container_path = ""

    # Pulls slower than this fail the task start.
    image_pull_timeout = "5m"

    # Nomad metadata attached to each container as labels.
    extra_labels = ["job_name", "task_name"]

    gc {
      # Delete each task's container once its task is destroyed.
      container = true

      # Containers with this driver's labels that no task Nomad knows owns
      # (say, collected while the plugin was down) are removed.
      dangling_containers {
        enabled        = true
        period         = "5m"
        creation_grace = "5m"
      }
    }

    volumes {
      # Host-path volumes in task configs are refused unless enabled.
      enabled = false
    }

    disable_log_collection = false

    # Per-task CPU, memory, network and block I/O for Prometheus, on
    # loopback only. Off unless an address is given.
    # metrics {
    #   address  = "127.0.0.1:9101"
    #   interval = "10s"
    # }
  }
}

# Without this the client never calls the driver's TaskStats.
telemetry {
  publish_allocation_metrics = true
  collection_interval        = "1s"
}
