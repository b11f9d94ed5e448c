# Slipway: one image for every role (SLIPWAY_ROLE=all|server|worker).

# Build stage: the full toolchain compiles src/ to dist/ (`npm run build`).
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Runtime stage: production dependencies and the compiled JavaScript only, no TypeScript tooling.
FROM node:20.20-bookworm-slim
# git runs checkouts; terraform/tofu/ansible are not bundled: extend this image with the tools
# your workflows call (see README, "`.slipway.yml`").
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# app.yml is read from the working directory by the registration page (no credentials yet).
COPY app.yml ./
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production SLIPWAY_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Graceful shutdown (README, Operations): SIGTERM makes Slipway take no new work, put running
# plans back in the queue and give running applies SLIPWAY_SHUTDOWN_GRACE_SECONDS to finish; give
# the container at least that long to stop (compose stop_grace_period, Kubernetes
# terminationGracePeriodSeconds). tini as PID 1 forwards the signal to node and reaps the step
# processes a dead worker's step watchdog ends, which would otherwise stay zombies.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
