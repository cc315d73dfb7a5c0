# Homebrew formula: builds nomad-driver-container from source with Rust.
#   brew install --formula ./Formula/nomad-driver-container.rb
# packaging/release.sh --formula rewrites `url` and `sha256` for each
# release (the source tarball it publishes next to the binaries).
require "json"

class NomadDriverContainer < Formula
  desc "Nomad task driver running Linux containers via Apple's container CLI"
  homepage "https://github.com/nomad-driver-container/nomad-driver-container"
  url "https://github.com/nomad-driver-container/nomad-driver-container/releases/download/v0.1.0/nomad-driver-container-0.1.0.src.tar.gz"
  sha256 "0000000000000000000000000000000000000000000000000000000000000000"
  license "MPL-2.0"
  head "https://github.com/nomad-driver-container/nomad-driver-container.git", branch: "main"

  depends_on "rust" => :build
  depends_on arch: :arm64
  depends_on :macos

  def install
    # The tarball has no .git; `version` then shows the release tag.
    ENV["NDC_GIT_COMMIT"] = "v#{version}" if build.stable?
    system "cargo", "install", *std_cargo_args

    generate_completions_from_executable(bin/"nomad-driver-container", "completions",
                                         shells: [:bash, :zsh, :fish])
    man_page = Utils.safe_popen_read(bin/"nomad-driver-container", "man")
    (man1/"nomad-driver-container.1").write man_page
  end

  def caveats
    <<~EOS
      Apple's container CLI (https://github.com/apple/container) and Nomad 1.8+
      must be installed. Then set the driver up for your Nomad client:
        nomad-driver-container setup
      It writes the plugin block into the client config (keeping a backup),
      links the plugin into plugin_dir so `brew upgrade` reaches Nomad, and
      can start Apple's container services at login. Check everything with:
        nomad-driver-container doctor
      Run the Nomad client as the same user that runs `container system start`.
    EOS
  end

  test do
    assert_match version.to_s, shell_output("#{bin}/nomad-driver-container version")

    # doctor exits non-zero while anything is missing (no Nomad on a build
    # machine), so only the report's shape is checked here.
    report = JSON.parse(shell_output("#{bin}/nomad-driver-container doctor --json || true"))
    ids = report["checks"].map { |check| check["id"] }
    assert_includes ids, "macos_version"
    assert_includes ids, "container_cli"
  end
end
