# Volume sources: relative (inside the task directory), an absolute host
# path (@HOST_DIR@, replaced by the test), and refused forms.
job "volumes" {
  type = "batch"

  group "volumes" {
    task "relative" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "printf 'from the task\\n' > /data/x && echo wrote /data/x"]
        volumes = ["data:/data"]
      }
    }

    task "readonly" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "if printf x > /data/y 2>/dev/null; then echo wrote; else echo refused; fi"]
        volumes = ["data:/data:ro"]
      }
    }

    task "absolute" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args    = ["-c", "printf 'through a host path\\n' > /hostdata/y && echo wrote /hostdata/y"]
        volumes = ["@HOST_DIR@:/hostdata"]
      }
    }

    # No task of this group is called "escape": ../escape is outside every
    # task directory.
    task "dotdot" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/true"
        volumes = ["../escape:/escape"]
      }
    }

    task "dotdot-nested" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/true"
        volumes = ["data/../../escape:/escape"]
      }
    }

    task "symlink" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/true"
        volumes = ["link-out:/linked"]
      }
    }

    task "bad-option" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/true"
        volumes = ["data:/data:rx"]
      }
    }
  }
}
