# PulseCart image: one image, three entry points (API, Temporal worker, migrations).
#   docker build -t pulsecart:local .
#   docker run pulsecart:local                                  -> API (default)
#   docker run pulsecart:local node dist/src/workers/main.js    -> worker
#   docker run pulsecart:local node dist/tools/migrate-cli.js   -> migrations
# CI builds this build stage and runs its entry points without Docker: tools/image-check.ts (npm run image-check).
# Debian (glibc), not Alpine: the Temporal worker's native core bridge ships glibc builds.
FROM node:20.20.2-bookworm-slim AS base
WORKDIR /app

# Build: compile TypeScript into dist/ (tsc -p tsconfig.build.json) and bundle the storefront into dist/web.
FROM base AS build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY tools ./tools
COPY migrations ./migrations
COPY web ./web
# tsc emits only .js: the files read at run time from next to the code
# (SQL migrations, Redis Lua scripts) are copied into dist/ beside their modules.
RUN npm run build \
  && npm run build:web \
  && node dist/tools/workflow-bundle-cli.js \
  && mkdir -p dist/migrations \
  && find src migrations -type f ! -name '*.ts' -exec cp --parents {} dist/ \;

# Production dependencies only, installed from the same lockfile.
FROM base AS deps
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

FROM base AS runtime
ENV NODE_ENV=production
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# pg_dump for the worker's backups, of the server's major version: compose runs PostgreSQL 16, Debian 12 ships
# 15, and pg_dump refuses a newer server. From PostgreSQL's own apt repository (PGDG), as postgresql.org says.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates curl \
  && install -d /usr/share/postgresql-common/pgdg \
  && curl -fsSo /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
  && echo 'deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main' >/etc/apt/sources.list.d/pgdg.list \
  && apt-get update \
  && apt-get install -y --no-install-recommends postgresql-client-16 \
  && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/* \
  && install -d -o node -g node /home/node/backups
# The code stays owned by root and read-only to the process; the image's `node` user (uid 1000) runs it.
USER node
EXPOSE 3000 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "--max-semi-space-size=64", "dist/src/api/main.js"]
