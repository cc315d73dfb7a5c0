# Runs about a second, logs, and exits 3.
job "short-fail" {
  type = "batch"

  group "short" {
    task "short" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo start; sleep 1; echo end; echo end >&2; exit 3"]
      }
    }
  }
}
