# A long-running service: prints a numbered line every second and exits
# cleanly on SIGTERM (its kill_signal), within kill_timeout.
job "service" {
  type = "service"

  group "ticker" {
    network {
      port "http" {
        to = 8080
      }
    }

    task "ticker" {
      driver       = "container"
      kill_signal  = "SIGTERM"
      kill_timeout = "10s"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          <<-EOT
          trap 'echo "ticker: got SIGTERM after $i ticks"; exit 0' TERM
          i=0
          while true; do
            echo "tick $i"
            i=$((i+1))
            sleep 1
          done
          EOT
        ]

        env {
          LISTEN_PORT = "8080"
        }

        labels = {
          example = "service"
          role    = "ticker"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
