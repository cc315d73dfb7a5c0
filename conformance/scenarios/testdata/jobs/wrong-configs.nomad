# One task per task-config mistake a Nomad user can make; each must be
# refused naming the key. "valid-forms" sets the same keys correctly, in the
# spellings a docker-driver user would use, and must start.
job "wrong-configs" {
  type = "batch"

  group "wrong" {
    network {
      port "http" {
        to = 8080
      }
    }

    task "ports-with-network-none" {
      driver = "container"
      config {
        image        = "alpine:3.20"
        ports        = ["http"]
        network_mode = "none"
      }
    }

    task "hostname" {
      driver = "container"
      config {
        image    = "alpine:3.20"
        hostname = "x"
      }
    }

    task "network-mode-with-space" {
      driver = "container"
      config {
        image        = "alpine:3.20"
        network_mode = "Bad Name"
      }
    }

    task "user-with-space" {
      driver = "container"
      config {
        image = "alpine:3.20"
        user  = "a b"
      }
    }

    task "unknown-capability" {
      driver = "container"
      config {
        image   = "alpine:3.20"
        cap_add = ["CAP_FLY"]
      }
    }

    task "dns-not-an-ip" {
      driver = "container"
      config {
        image = "alpine:3.20"
        dns   = ["not-an-ip"]
      }
    }

    task "platform-without-os" {
      driver = "container"
      config {
        image    = "alpine:3.20"
        platform = "amd64"
      }
    }

    task "pull-timeout-without-unit" {
      driver = "container"
      config {
        image              = "alpine:3.20"
        image_pull_timeout = "10"
      }
    }

    task "volume-without-target" {
      driver = "container"
      config {
        image   = "alpine:3.20"
        volumes = ["onlyone"]
      }
    }

    task "tty-wrong-type" {
      driver = "container"
      config {
        image = "alpine:3.20"
        tty   = "yes"
      }
    }

    task "unknown-key" {
      driver = "container"
      config {
        image          = "alpine:3.20"
        network_modus  = "none"
      }
    }

    task "valid-forms" {
      driver = "container"
      config {
        image              = "alpine:3.20"
        command            = "/bin/sh"
        args               = ["-c", "echo valid ran; echo uid=$(id -u) gid=$(id -g)"]
        ports              = ["http"]
        user               = "1000:1000"
        cap_add            = ["NET_ADMIN", "CAP_SYS_TIME", "sys_ptrace"]
        cap_drop           = ["ALL"]
        dns                = ["1.1.1.1", "2001:4860:4860::8888"]
        dns_search         = ["example.internal"]
        dns_options        = ["ndots:2"]
        platform           = "linux/arm64"
        image_pull_timeout = "1m30s"
        volumes            = ["data:/data:ro", "other:/other:rw"]
        tty                = false
      }
    }
  }
}
