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
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
