# Stays up doing nothing, for exec and stats.
job "sleeper" {
  type = "service"

  group "sleeper" {
    task "sleeper" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo ready; exec sleep 3600"]
      }

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
