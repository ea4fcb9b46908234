#!/bin/sh
# Installs a built rackpilot on a rack controller (run as root on the target):
#   sh build/install.sh dist/rackpilot-linux-arm64 [examples/rack.yaml]
# Creates the rackpilot system user, puts the executable in /opt/rackpilot, a config in
# /etc/rackpilot (only if none is there), and enables the systemd service.
set -eu
bin=${1:?usage: install.sh RACKPILOT_EXECUTABLE [CONFIG]}
cfg=${2:-}
here=$(dirname "$0")
id rackpilot >/dev/null 2>&1 || useradd --system --home-dir /var/lib/rackpilot --shell /usr/sbin/nologin rackpilot
install -d -m 0755 /opt/rackpilot
install -m 0755 "$bin" /opt/rackpilot/rackpilot
install -d -m 0750 -o root -g rackpilot /etc/rackpilot
if [ -n "$cfg" ] && [ ! -e /etc/rackpilot/rack.yaml ]; then
  install -m 0640 -o root -g rackpilot "$cfg" /etc/rackpilot/rack.yaml
fi
/opt/rackpilot/rackpilot config check /etc/rackpilot/rack.yaml
install -m 0644 "$here/systemd/rackpilot.service" /etc/systemd/system/rackpilot.service
systemctl daemon-reload
systemctl enable --now rackpilot
systemctl --no-pager status rackpilot
