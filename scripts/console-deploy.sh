#!/bin/sh
# The deploy "command" of console mode (config/console.yaml): harmless, it changes nothing.
#   scripts/console-deploy.sh <host> <ref> <app> <env>
# /deploy runs it once per host, without a shell, each value one plain argument: it says what a
# real deploy would do on that host, takes a moment (so concurrency shows), and succeeds.
# To watch a failure: list host names, one per line, in .local/console-deploy-fail (relative to
# where `npm run dev` runs). Not an environment variable: /deploy gives its commands only a
# minimal environment (PATH, HOME, USER, LANG, ...), never the bot's own.
set -eu
host=$1
ref=$2
app=$3
env=$4
printf 'console deploy of %s to %s, host %s, ref %s\n' "$app" "$env" "$host" "$ref"
# As a real config would, with the ref quoted for the remote shell ({ref:sh}).
quoted=$(printf '%s' "$ref" | sed "s/'/'\\\\''/g")
printf "would run: ssh %s sudo /opt/%s/deploy '%s'\n" "$host" "$app" "$quoted"
printf 'fetching %s ... ' "$ref"
sleep 1
printf 'ok\nrestarting %s on %s ... ' "$app" "$host"
sleep 0.5
if [ -f .local/console-deploy-fail ] && grep -qxF -- "$host" .local/console-deploy-fail; then
  printf 'failed\n'
  printf '%s: health check failed after restart (listed in .local/console-deploy-fail)\n' "$host" >&2
  exit 3
fi
printf 'ok\ndone: %s %s is on %s\n' "$app" "$ref" "$host"
