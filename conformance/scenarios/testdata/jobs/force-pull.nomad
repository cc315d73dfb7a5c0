# The same task with and without force_pull.
job "force-pull" {
  type = "batch"

  group "pull" {
    task "forced" {
      driver = "container"

      config {
        image      = "alpine:3.20"
        command    = "/bin/sh"
        args       = ["-c", "echo forced ran"]
        force_pull = true
      }
    }

    task "unforced" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo unforced ran"]
      }
    }
  }
}
