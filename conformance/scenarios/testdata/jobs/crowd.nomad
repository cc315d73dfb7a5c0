# Two kinds of long-running task for the concurrency scenario: one on a
# public image, one on the private fixture image pulled with credentials on
# every start (force_pull), so concurrent starts contend for the registry.
job "crowd" {
  type = "service"

  group "crowd" {
    task "public" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo ready; exec sleep 3600"]
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }

    task "private" {
      driver = "container"

      config {
        image      = "registry.local.test/private/app:1"
        force_pull = true
        command    = "/bin/sh"
        args       = ["-c", "echo ready; exec sleep 3600"]

        auth {
          username = "ci-bot"
          password = "s3cret-pw"
        }
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}
