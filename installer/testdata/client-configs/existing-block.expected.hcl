data_dir   = "/opt/nomad/data"
plugin_dir = "/opt/nomad/plugins"

client {
  enabled = true
}

/* The Apple container driver; first set up by hand in March. */
plugin "nomad-driver-container" {
  args = ["-v"]

  config {
    container_path = "/opt/homebrew/bin/container"
    extra_labels = ["job_name", "task_name"]

    auth {
      username       = "ci-bot"
      password       = "not-a-real-secret"
      server_address = "registry.example.test"
    }

    metrics {
      address = "127.0.0.1:9101"
    }

    gc {
      container = true

      dangling_containers {
        dry_run = true
      }
    }

    volumes {
      enabled = false
    }
  }
}

plugin "raw_exec" {
  config {
    enabled = false
  }
}

// keep this comment after the blocks
