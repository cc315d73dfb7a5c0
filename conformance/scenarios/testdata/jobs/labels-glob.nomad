# A job whose name differs from its ID, with user labels, for the plugin's
# extra_labels globs.
job "labels-glob" {
  name = "labels-glob-name"
  type = "service"

  group "grp" {
    task "labelled" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo ready; exec sleep 3600"]

        labels {
          team = "web"
          tier = "frontend"
        }
      }
    }
  }
}
