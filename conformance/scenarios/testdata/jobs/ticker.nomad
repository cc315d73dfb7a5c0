# Numbered lines on stdout ("tick N") and stderr ("tock N") every 0.1s;
# exits 0 on SIGTERM after one last line on each stream.
job "ticker" {
  type = "service"

  group "ticker" {
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
          trap 'echo "ticker: stopping on SIGTERM"; echo "ticker: stopping on SIGTERM" >&2; exit 0' TERM
          i=0
          while true; do
            echo "tick $i"
            echo "tock $i" >&2
            i=$((i+1))
            sleep 0.1
          done
          EOT
        ]
      }
    }
  }
}
