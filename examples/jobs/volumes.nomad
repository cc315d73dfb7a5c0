# Storage: a relative volume and a tmpfs.
#
# "data:/data" is a directory inside the task's own directory on the
# client (<alloc dir>/<task>/data), created on first use; it survives task
# restarts within the allocation. `..` and symlinks cannot leave the task
# directory; host paths elsewhere need the plugin's
# `volumes { enabled = true }`. "/scratch" is a tmpfs: memory-backed and
# empty at every start.
#   nomad job run examples/jobs/volumes.nomad
#   scripts/demo.sh examples/jobs/volumes.nomad
job "volumes" {
  type = "batch"

  group "storage" {
    task "storage" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          <<-EOT
          date -u +'run at %Y-%m-%dT%H:%M:%SZ' >> /data/runs
          echo "runs recorded in /data:"
          cat /data/runs
          echo "scratch space" > /scratch/note
          echo "tmpfs /scratch holds: $(cat /scratch/note)"
          EOT
        ]
        volumes = ["data:/data"]
        tmpfs   = ["/scratch"]
      }

      resources {
        cpu    = 100
        memory = 256
      }
    }
  }
}
