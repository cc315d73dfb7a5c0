# Prints the Nomad runtime variables a task should see, one per line.
job "env-report" {
  type = "batch"

  group "reporter" {
    network {
      port "http" {
        to = 8080
      }
    }

    task "reporter" {
      driver = "container"

      env {
        FROM_TASK_ENV = "task-env-${NOMAD_TASK_NAME}"
      }

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          "for v in NOMAD_ALLOC_ID NOMAD_TASK_NAME NOMAD_JOB_NAME NOMAD_GROUP_NAME NOMAD_TASK_DIR NOMAD_ALLOC_DIR NOMAD_SECRETS_DIR NOMAD_MEMORY_LIMIT NOMAD_CPU_LIMIT NOMAD_PORT_http FROM_TASK_ENV; do eval \"echo $v=\\$$v\"; done",
        ]
      }

      resources {
        cpu    = 300
        memory = 256
      }
    }
  }
}
