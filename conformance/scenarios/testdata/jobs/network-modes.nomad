# network_mode = "none", and a sidecar that joins the network of the task
# "main" of its allocation.
job "network-modes" {
  type = "service"

  group "isolated" {
    task "isolated" {
      driver = "container"

      config {
        image        = "alpine:3.20"
        command      = "/bin/sh"
        args         = ["-c", "echo isolated up; exec sleep 3600"]
        network_mode = "none"
      }
    }
  }

  group "pair" {
    task "main" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo main up; exec sleep 3600"]
      }
    }

    task "sidecar" {
      driver = "container"

      config {
        image        = "alpine:3.20"
        command      = "/bin/sh"
        args         = ["-c", "echo \"TASK_MAIN_IP=$TASK_MAIN_IP\"; exec sleep 3600"]
        network_mode = "task:main"
      }
    }
  }
}
