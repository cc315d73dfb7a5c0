# Environment values a shell or an env-file parser could mangle. The task
# prints each between brackets with printf, so the test sees them exactly.
job "env-awkward" {
  type = "batch"

  group "env" {
    task "awkward" {
      driver = "container"

      # Nomad's own task env travels the same way as the config's env.
      env {
        TASK_QUOTES = "task env \"double\" and 'single'"
        TASK_SPACES = "   task env padded   "
      }

      config {
        image   = "alpine:3.20"
        command = "/bin/sh"
        args = [
          "-c",
          <<-EOT
          printf 'EQUALS=[%s]\n' "$EQUALS"
          printf 'LEADING_EQUALS=[%s]\n' "$LEADING_EQUALS"
          printf 'QUOTES=[%s]\n' "$QUOTES"
          printf 'UNICODE=[%s]\n' "$UNICODE"
          printf 'SPACES=[%s]\n' "$SPACES"
          printf 'ONLY_SPACE=[%s]\n' "$ONLY_SPACE"
          printf 'HASH=[%s]\n' "$HASH"
          printf 'BACKSLASH=[%s]\n' "$BACKSLASH"
          printf 'TAB=[%s]\n' "$TAB"
          printf 'DOLLAR=[%s]\n' "$DOLLAR"
          printf 'TASK_QUOTES=[%s]\n' "$TASK_QUOTES"
          printf 'TASK_SPACES=[%s]\n' "$TASK_SPACES"
          if env | grep -qx 'EMPTY='; then echo 'EMPTY is set and empty'; else echo 'EMPTY is missing'; fi
          EOT
        ]

        env {
          EQUALS         = "a=b==c="
          LEADING_EQUALS = "=starts with equals"
          QUOTES         = "say \"hi\" and 'bye' and `tick`"
          UNICODE        = "grüße, 日本語, emoji 🚀, ÅÄÖ"
          SPACES         = "  leading and trailing  "
          ONLY_SPACE     = " "
          HASH           = "#not a comment"
          BACKSLASH      = "C:\\temp\\new \\n"
          TAB            = "col1\tcol2"
          DOLLAR         = "$HOME $(id) $1 $$"
          EMPTY          = ""
        }
      }
    }

    task "newline-in-config-env" {
      driver = "container"

      config {
        image   = "alpine:3.20"
        command = "/bin/true"

        env {
          MULTI_LINE = "visible-first-line-9c1e\nhidden-second-line-4b7d"
        }
      }
    }

    task "newline-in-task-env" {
      driver = "container"

      env {
        TASK_MULTI = "task-first-line-5a2f\ntask-second-line-8e3c"
      }

      config {
        image   = "alpine:3.20"
        command = "/bin/true"
      }
    }
  }
}
