# An image no registry has.
job "unknown-image" {
  type = "batch"

  group "g" {
    task "missing" {
      driver = "container"

      config {
        image   = "alpine-does-not-exist:9.99"
        command = "/bin/true"
      }
    }
  }
}
