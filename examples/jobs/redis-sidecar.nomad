# Redis and a sidecar that shares its network. Every task is its own VM,
# so "sharing" means network_mode = "task:redis": the sidecar joins the
# network of the redis task's container in the same allocation and learns
# its address as TASK_REDIS_IP. The poststart hook starts the sidecar once
# redis runs (a start before that fails recoverably and is retried, as
# Nomad's restart policy does; the demo retries it too).
#   nomad job run examples/jobs/redis-sidecar.nomad
#   scripts/demo.sh examples/jobs/redis-sidecar.nomad -stop-after 5s
job "redis-sidecar" {
  type = "service"

  group "cache" {
    network {
      port "redis" {
        to = 6379
      }
    }

    task "redis" {
      driver = "container"

      config {
        image = "redis:7-alpine"
        ports = ["redis"]
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }

    task "sidecar" {
      driver = "container"

      lifecycle {
        hook    = "poststart"
        sidecar = true
      }

      config {
        image        = "alpine:3.20"
        command      = "/bin/sh"
        network_mode = "task:redis"
        args = [
          "-c",
          <<-EOT
          trap 'echo "sidecar: stopping"; exit 0' TERM
          echo "sidecar: redis is at $TASK_REDIS_IP:6379"
          while true; do
            sleep 30 & wait $!
            echo "sidecar: still next to $TASK_REDIS_IP"
          done
          EOT
        ]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
