# The same settings written in both HCL forms: `labels { }` / `env = { }`
# in one task and `labels = { }` / `env { }` in the other.
job "forms" {
  type = "service"

  group "forms" {
    task "block-labels" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo \"FORM_ENV=$FORM_ENV\"; exec sleep 3600"]

        labels {
          form = "block"
        }

        env = {
          FORM_ENV = "from-attribute"
        }
      }
    }

    task "attribute-labels" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "echo \"FORM_ENV=$FORM_ENV\"; exec sleep 3600"]

        labels = {
          form = "attribute"
        }

        env {
          FORM_ENV = "from-block"
        }
      }
    }
  }
}
