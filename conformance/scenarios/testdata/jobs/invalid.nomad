# One task per way a task config can be wrong.
job "invalid" {
  type = "batch"

  group "invalid" {
    task "wrong-type" {
      driver = "container"
      config {
        image = "alpine:3.20"
        args  = "echo not-a-list"
      }
    }

    task "unknown-key" {
      driver = "container"
      config {
        image       = "alpine:3.20"
        entry_point = ["/bin/sh"]
      }
    }

    task "missing-image" {
      driver = "container"
      config {
        command = "/bin/true"
      }
    }

    task "empty-image" {
      driver = "container"
      config {
        image = ""
      }
    }
  }
}
