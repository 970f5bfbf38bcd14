# syntax=docker/dockerfile:1
# One image for every storesense service (cloud, gateway, site CLI); docker-compose.yml picks the
# command. Build: docker build -t storesense .
#
# Stage 1 compiles: better-sqlite3 builds from source when its prebuilt binary cannot be fetched,
# which needs python3, make and g++ (docs/dependencies.md).
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# onnxruntime-node's postinstall downloads CUDA libraries and fails offline; its CPU binaries ship
# in the package. npm 11 honours "allowScripts" in package.json, npm 10 (this image) needs the env.
ENV ONNXRUNTIME_NODE_INSTALL=skip \
    npm_config_fund=false \
    npm_config_audit=false
# Manifests first, so source edits do not invalidate the (slow) dependency layer.
COPY package.json package-lock.json .npmrc ./
COPY protocol/package.json protocol/
COPY firmware-config/package.json firmware-config/
COPY gateway/package.json gateway/
COPY cloud/package.json cloud/
COPY simulators/package.json simulators/
RUN npm ci
COPY . .
RUN npx tsc -b \
 && npm prune --omit=dev

# Stage 2 runs: no compilers, non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# Named volumes copy the ownership of the image directory they mount over, so a fresh volume is
# writable by the non-root user.
RUN mkdir -p /data/cloud /data/gateway /config \
 && chown -R node:node /data /config
USER node
EXPOSE 8080 1883
CMD ["node", "firmware-config/dist/cli.js", "--help"]
