# Prints a line each time it receives SIGUSR1.
job "trap-usr1" {
  type = "service"

  group "listener" {
    task "listener" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          "trap 'echo got SIGUSR1' USR1; echo ready; while true; do sleep 0.1; done",
        ]
      }
    }
  }
}
