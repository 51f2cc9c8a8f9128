# memoryd container image.
#
#   probe  golang:1.26-bookworm  builds grpc_health_probe (the HEALTHCHECK) from the Go module proxy
#   deps   node:20-bookworm      production node_modules; better-sqlite3 compiles from source here
#   build  node:20-bookworm      all dependencies, then `npm run build` (tsc into dist/)
#   final  node:20-bookworm-slim node_modules + dist + gen/memoryd.binpb + package.json, as user node
#
# Nothing is fetched beyond the base images, the npm registry and the Go module proxy.
# `docker build` cannot run on the dev and CI machines (no Docker daemon), so
# scripts/image-smoke.sh runs the same RUN commands without Docker and starts the
# result the way this image does; test/deploy.test.ts checks that the commands
# here and there stay the same. Keep every RUN on one line: that test and CI read them.
#
#   docker build -t memoryd:latest .
#   docker run -p 50051:50051 -p 9464:9464 -v memoryd-data:/data memoryd:latest

FROM golang:1.26-bookworm AS probe
ENV GOBIN=/out CGO_ENABLED=0
RUN go install github.com/grpc-ecosystem/grpc-health-probe@v0.4.61

FROM node:20-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# The project .npmrc says nodedir=/usr (the dev machines' Node headers); this image has them under /usr/local.
RUN npm_config_nodedir=/usr/local npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc tsconfig.json tsconfig.build.json ./
RUN npm_config_nodedir=/usr/local npm ci --no-audit --no-fund
COPY src ./src
COPY gen/ts ./gen/ts
RUN npm run build

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Reflection serves the descriptors in gen/memoryd.binpb, found next to package.json (src/reflection.ts).
COPY gen/memoryd.binpb ./gen/memoryd.binpb
COPY package.json ./
COPY --from=probe /out/grpc-health-probe /usr/local/bin/grpc_health_probe
RUN mkdir -p /data && chown node:node /data
USER node
ENV MEMORYD_LISTEN=0.0.0.0:50051 MEMORYD_STORAGE_URL=sqlite:///data/memoryd.db MEMORYD_METRICS_LISTEN=0.0.0.0:9464 MEMORYD_SHUTDOWN_DELAY_MS=5000 MEMORYD_MAX_CONNECTION_AGE_MS=300000 MEMORYD_MAX_CONNECTION_AGE_GRACE_MS=30000
VOLUME /data
EXPOSE 50051 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s CMD ["grpc_health_probe", "-addr=127.0.0.1:50051", "-service=memoryd.v1.MemoryService"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/src/main.js"]
