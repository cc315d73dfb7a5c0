# A group port mapped to 8080 inside the task.
job "published-port" {
  type = "service"

  group "web" {
    network {
      port "http" {
        to = 8080
      }
    }

    task "web" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo ready; exec sleep 3600"]
        ports   = ["http"]
      }
    }
  }
}
