# syntax=docker/dockerfile:1
# Latchkey's container image. Two stages: one with a compiler (better-sqlite3 builds from source)
# that installs production dependencies and builds packages/server/dist, and a slim one that runs
# it as an unprivileged user. `.ci/run` cannot run a container engine; the test
# packages/server/test/deploy.test.ts replays this file's build step and start command in a clean
# folder instead (see the README's "Run it in a container").

FROM node:24-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY . .
# The root's `prepare` builds the server and the dashboard into packages/server/dist (the
# dashboard's build needs Vite, a development dependency); then only production dependencies stay.
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    LATCHKEY_DATA_DIR=/data
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/v1/health`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives `docker stop`'s SIGTERM itself (it drains, then exits 0).
CMD ["node", "packages/server/dist/main.js"]
