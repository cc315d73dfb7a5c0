# Nomad client on a Mac mini in the office rack.
# Managed by hand; see the runbook before changing.

datacenter = "office"
data_dir   = "/opt/homebrew/var/lib/nomad"
bind_addr  = "0.0.0.0"

client {
  enabled = true
  servers = ["10.0.0.10:4647"]

  meta {
    rack  = "r2"
    notes = <<EOT
Mac mini M2, 16 GB.
Reboots on the first Sunday of the month.
EOT
  }

  host_volume "scratch" {
    path      = "/Volumes/scratch"
    read_only = false
  }
}

plugin "raw_exec" {
  config {
    enabled = true # for the backup job only
  }
}

plugin "docker" {
  config {
    allow_privileged = false
    volumes {
      enabled = true
    }
  }
}

telemetry {
  publish_allocation_metrics = true
  collection_interval        = "10s"
}
