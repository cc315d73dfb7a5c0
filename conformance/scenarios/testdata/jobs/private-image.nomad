# The stand-in's private fixture image, with and without credentials.
# @ENV_SECRET@ and @WRONG_PW@ are replaced by the test with distinctive
# values it then looks for in every process's argv and in calls.log.
job "private-image" {
  type = "service"

  group "app" {
    task "task-auth" {
      driver = "container"

      config {
        image = "registry.local.test/private/app:1"

        auth {
          username = "ci-bot"
          password = "s3cret-pw"
        }

        env {
          APP_TOKEN = "@ENV_SECRET@"
        }
      }
    }

    task "no-auth" {
      driver = "container"

      config {
        image = "registry.local.test/private/app:1"

        env {
          APP_TOKEN = "@ENV_SECRET@"
        }
      }
    }

    task "wrong-password" {
      driver = "container"

      config {
        image = "registry.local.test/private/app:1"

        auth {
          username = "ci-bot"
          password = "@WRONG_PW@"
        }

        env {
          APP_TOKEN = "@ENV_SECRET@"
        }
      }
    }
  }
}
