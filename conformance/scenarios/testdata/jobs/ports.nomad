# Two group ports: "http" mapped to 8080 inside the task, "metrics" with no
# `to` (so the container port is the host port). "web" publishes both;
# "unknown-label" names a port the group does not have.
job "ports" {
  type = "service"

  group "web" {
    network {
      port "http" {
        to = 8080
      }
      port "metrics" {}
    }

    task "web" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo ready; exec sleep 3600"]
        ports   = ["http", "metrics"]
      }
    }

    task "unknown-label" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo ready; exec sleep 3600"]
        ports   = ["http", "admin"]
      }
    }
  }
}
