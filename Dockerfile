# opsdeck bot and worker image. `docker compose up` builds it (see docker-compose.yml).
# Node.js 24 LTS (package.json `engines`: 22 or later; CI runs the tests on 24 too).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` (locked versions), not `npm ci`: the lock file lacks other platforms' optional
# native binaries, which makes npm ci refuse it (see .ci/run).
RUN npm install --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY commands commands
COPY jobs jobs
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
# mariadb-client provides mysql/mysqldump for the runbooks that shell out to them.
RUN apt-get update && apt-get install -y --no-install-recommends mariadb-client ca-certificates \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production OPSDECK_CONFIG=/etc/opsdeck/opsdeck.yaml
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER node
EXPOSE 3000 3001
CMD ["node", "dist/src/app/all.js"]
