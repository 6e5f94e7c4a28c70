#!/bin/sh
# The per-host work of bench/deploy, identical for the baseline and for /deploy:
#   deploy-host.sh <markers-dir> <host> <ref> <seconds>
# Prints a few lines as a deploy tool would, sleeps <seconds> (the host "deploying"), then
# writes the marker <markers-dir>/<ref>/<host>.done holding its start and end times (epoch ms),
# which the bench counts to check that every host was deployed.
dir=$1/$3
host=$2
ref=$3
seconds=$4
started=$(date +%s%3N)
echo "deploying $ref to $host"
echo "fetching $ref, unpacking release"
sleep "$seconds"
echo "restarting services on $host"
mkdir -p "$dir"
echo "$started $(date +%s%3N)" > "$dir/$host.done"
echo "done on $host"
