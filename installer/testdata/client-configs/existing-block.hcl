data_dir   = "/opt/nomad/data"
plugin_dir = "/opt/nomad/plugins"

client {
  enabled = true
}

/* The Apple container driver; first set up by hand in March. */
plugin "nomad-driver-container" {
  args = ["-v"]

  config {
    # old path from before the Homebrew move
    container_path = "/usr/local/bin/container"

    extra_labels = ["job_name"]

    auth {
      username       = "ci-bot"
      password       = "not-a-real-secret"
      server_address = "registry.example.test"
    }

    gc {
      container = false

      dangling_containers {
        dry_run = true
      }
    }

    metrics {
      address = "127.0.0.1:9101"
    }
  }
}

plugin "raw_exec" {
  config {
    enabled = false
  }
}

// keep this comment after the blocks
