#!/bin/sh
# The health check of bench/deploy's canary rollout, identical for the baseline and for /deploy:
#   health-check.sh <markers-dir> <ref> <host>
# Healthy when the host's marker exists (deploy-host.sh wrote it).
test -f "$1/$2/$3.done"
