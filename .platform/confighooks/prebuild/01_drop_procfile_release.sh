#!/bin/bash
# Elastic Beanstalk runs every Procfile line as a long-lived process and restarts it when
# it exits, so the Heroku `release:` line would re-run migrations forever on every
# instance. Remove it from the staged bundle; .ebextensions/01_banderole.config migrates
# once per deployment with a leader-only container command instead. The `realtime:` line
# goes too: EB's proxy routes only to `web`, so the stream process runs as its own
# environment there (docs/realtime.md).
set -euo pipefail

# The same file sits under .platform/confighooks, so a configuration deployment (new
# environment properties), which re-runs the deployment steps, cannot bring the line back.
# EB passes no arguments; one is accepted so the hook can be tested against a copy.
staging_dir="${1:-$(/opt/elasticbeanstalk/bin/get-config platformconfig -k AppStagingDir 2>/dev/null || echo /var/app/staging)}"
if [ -f "${staging_dir}/Procfile" ]; then
    sed -i '/^release:/d; /^realtime:/d' "${staging_dir}/Procfile"
fi
