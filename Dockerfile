# syntax=docker/dockerfile:1
# The Chorus image: production dependencies and the compiled app in one stage each, then a slim final
# image that runs as an unprivileged user. Secrets (SESSION_SECRET, database and broker passwords) are
# given at run time through the environment, never baked in; see README.md, Deployment.
#
#   docker build -t chorus .
#   docker run -p 3000:3000 -e SESSION_SECRET=$(openssl rand -hex 32) -v chorus-data:/data chorus
#
# Node 24 is the active LTS line; 24.16.0 is its newest release with the 2026 security fixes (pin a newer
# patch, or add @sha256:…, when you upgrade; test/deploy/render.ts names the minimum and why).
ARG NODE_IMAGE=node:24.16.0-bookworm-slim

# Production dependencies only. better-sqlite3 is a native addon: npm fetches its prebuilt binary for
# this Node version and platform, and compiles it with these tools when there is none.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The TypeScript compiler and type packages are needed to build, not to run.
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
# DATA_DIR holds the embedded store when no MongoDB is configured (one replica); UPLOAD_DIR must be a
# volume shared by every replica when there are several.
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=9091 \
    DATA_DIR=/data \
    UPLOAD_DIR=/data/uploads
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY public ./public
# The image's own files stay root-owned and read-only to the app; only /data is its to write. A named
# volume mounted there starts with this ownership.
RUN mkdir -p /data/uploads && chown -R 1000:1000 /data
# The node user of the base image, by number so Kubernetes' runAsNonRoot can check it.
USER 1000:1000
# 3000 is the chat; 9091 is /metrics for Prometheus only: publish or route only 3000.
EXPOSE 3000 9091
# Liveness only: readiness (store and broker) is for the proxy and the orchestrator to ask, at /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop, Kubernetes) makes the app stop accepting, close its sockets and exit within 10 s.
STOPSIGNAL SIGTERM
# The embedded store's backup and restore run in this image too: `node dist/ops/backup.js FILE` in a
# running container, `node dist/ops/restore.js FILE` in one of its own with the replica stopped (README).
CMD ["node", "--enable-source-maps", "dist/app/main.js"]
