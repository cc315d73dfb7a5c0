# Same as hello.nomad, but the task fails with exit code 3.
job "hello-fail" {
  type = "batch"

  group "hello" {
    task "hello" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          "echo \"about to fail on stdout\"; echo \"about to fail on stderr\" >&2; exit 3",
        ]

        labels = {
          example = "hello-fail"
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
