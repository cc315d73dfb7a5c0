# An image from a private registry. The credentials are used for the pull
# only: the driver logs in with the password on stdin (never on a command
# line), pulls, and logs out again unless that registry already had a login
# stored for Nomad's user.
#
# registry.local.test is the fixture registry of the Linux stand-in CLI
# (standin/README.md), which accepts ci-bot / s3cret-pw. For a real
# registry, put its image here and keep the password out of the job file:
# render it from Nomad Variables or Vault with a template block, or set
# `auth {}` once in the plugin config on each client (used by every task
# that has no `auth` of its own).
#   nomad job run examples/jobs/private-image.nomad
#   scripts/demo.sh examples/jobs/private-image.nomad
job "private-image" {
  type = "service"

  group "app" {
    task "app" {
      driver = "container"

      config {
        image = "registry.local.test/private/app:1"

        auth {
          username = "ci-bot"
          password = "s3cret-pw"
          # The host to log in to; defaults to the image reference's host.
          # server_address = "registry.local.test"
        }

        # Pull even when the image is already present (e.g. a moving tag).
        # force_pull = true

        # How long the pull may take; the plugin's default is 5m.
        # image_pull_timeout = "10m"
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}
