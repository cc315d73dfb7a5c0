data_dir = "/var/lib/nomad"
client { enabled = true }

plugin "nomad-driver-container" {
  config {
    container_path = "/opt/homebrew/bin/container"
    extra_labels = ["job_name", "task_name"]

    gc {
      container = true
    }

    volumes {
      enabled = false
    }
  }
}
