# Slipway: one image for every role (SLIPWAY_ROLE=all|server|worker).
FROM node:20.20-bookworm-slim
# git runs checkouts; terraform/tofu/ansible are not bundled: extend this image with the tools
# your workflows call (see README, "Workflows").
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY tsconfig.json app.yml ./
COPY src ./src
ENV NODE_ENV=production SLIPWAY_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
