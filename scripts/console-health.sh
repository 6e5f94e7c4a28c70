#!/bin/sh
# The health check of console mode's billing/prod (config/console.yaml): harmless.
#   scripts/console-health.sh <host>
# Healthy unless the host is listed, one per line, in .local/console-unhealthy (relative to where
# `npm run dev` runs): list one to watch a failed check stop the rollout and the auto-rollback.
set -eu
host=$1
if [ -f .local/console-unhealthy ] && grep -qxF -- "$host" .local/console-unhealthy; then
  printf '%s: unhealthy (listed in .local/console-unhealthy)\n' "$host"
  exit 1
fi
printf '%s: healthy\n' "$host"
