# A short batch job: prints to stdout and stderr, then exits 0.
#   nomad job run examples/jobs/hello.nomad
#   scripts/demo.sh examples/jobs/hello.nomad
job "hello" {
  type = "batch"

  group "hello" {
    task "hello" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        # ${NOMAD_TASK_NAME} is interpolated by the Nomad client before the
        # driver sees the config; $GREETING is expanded by the shell.
        args = [
          "-c",
          "echo \"$GREETING from ${NOMAD_TASK_NAME} on stdout\"; echo \"$GREETING from ${NOMAD_TASK_NAME} on stderr\" >&2; echo done",
        ]

        env = {
          GREETING = "hello"
        }

        labels {
          example = "hello"
        }
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
