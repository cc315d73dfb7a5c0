# An amd64 image on Apple Silicon through Rosetta. `platform` picks the
# image's linux/amd64 variant and `rosetta = true` makes Rosetta available
# in the VM (needs Rosetta on the Mac: softwareupdate --install-rosetta).
#   nomad job run examples/jobs/rosetta.nomad
#   scripts/demo.sh examples/jobs/rosetta.nomad
job "rosetta" {
  type = "batch"

  group "amd64" {
    task "uname" {
      driver = "container"

      config {
        image    = "alpine:3.20"
        platform = "linux/amd64"
        rosetta  = true
        command  = "/bin/sh"
        args     = ["-c", "echo \"this task runs on $(uname -m)\""]
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}
