# A web service with a group port. Nomad picks a free host port for "http"
# and the driver publishes host_ip:<that port> -> 80 in the container, for
# TCP and UDP. The service uses the container's own address and port 80
# (address_mode = "driver"), which the driver returns to Nomad at start.
#   nomad job run examples/jobs/web-ports.nomad
#   scripts/demo.sh examples/jobs/web-ports.nomad
job "web-ports" {
  type = "service"

  group "web" {
    network {
      port "http" {
        to = 80
      }
    }

    task "nginx" {
      driver = "container"

      config {
        image = "nginx:1.27"
        ports = ["http"]

        labels {
          example = "web-ports"
        }
      }

      # nginx stops gracefully on SIGQUIT, its image's STOPSIGNAL; the
      # driver uses that when kill_signal is not set.
      kill_timeout = "10s"

      service {
        name         = "web-ports"
        port         = "http"
        provider     = "nomad"
        address_mode = "driver"

        check {
          type         = "http"
          path         = "/"
          interval     = "10s"
          timeout      = "2s"
          address_mode = "driver"
        }
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }
}
