# Traps SIGTERM and carries on, so only a forced kill ends it.
job "ignore-term" {
  type = "service"

  group "stubborn" {
    task "stubborn" {
      driver       = "container"
      kill_signal  = "SIGTERM"
      kill_timeout = "2s"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          "trap 'echo ignoring SIGTERM' TERM; echo ready; while true; do sleep 0.1; done",
        ]
      }
    }
  }
}
