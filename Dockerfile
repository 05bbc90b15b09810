# The gateway as an image: one node per container, its role chosen by SERVICES.
# tsx runs the TypeScript sources directly, so there is no build step; it is a runtime
# dependency and `npm ci --omit=dev` keeps it.

# Dependencies, resolved from the lock file alone (cached until package*.json change).
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The runtime: sources and production dependencies, run as the unprivileged `node` user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=3000 \
    METRICS_PORT=3030 \
    DATA_DIR=/data
WORKDIR /app
COPY --from=deps --chown=node:node /app/node_modules ./node_modules
COPY --chown=node:node package.json tsconfig.json moleculer.config.ts ./
COPY --chown=node:node models ./models
COPY --chown=node:node mixins ./mixins
COPY --chown=node:node services ./services
COPY --chown=node:node scripts ./scripts
COPY --chown=node:node public ./public
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000 3030
# tsx as a loader in node's own process: SIGTERM from `docker stop` reaches the broker, which
# drains in-flight requests (SHUTDOWN_TIMEOUT_MS; keep docker's stop timeout above it).
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "scripts/server.ts"]
