# syntax=docker/dockerfile:1
#
# One image for every Switchboard process. Run a service with
#   docker run IMAGE node dist/bundle/<gateway|rooms|presence|media|attestation>.mjs
# (each service bundled into one file by `npm run build`, ADR 0093)
# and database migrations with
#   docker run IMAGE node scripts/db-migrate.mjs
# Without a command the image prints this usage.

# Pinned by digest so a rebuild gets the same base (ADR 0030): the multi-arch index digest
# of node:20-bookworm-slim as pinned by several public repositories; bump it deliberately.
ARG NODE_IMAGE=node:20-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

# ---------------------------------------------------------------------------
# build: install everything, generate (buf, prisma), compile, drop dev deps.
# `--omit=optional` as well: prisma (CLI, studio, pglite) is a root devDependency AND an
# optional peer of @prisma/client, so npm marks it devOptional and keeps it under
# `--omit=dev` alone (ADR 0030). The migration runner needs only `pg`, which stays.
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false

# Manifests first so the dependency layer is cached until the lockfile changes.
COPY package.json package-lock.json ./
COPY packages/client/package.json packages/client/
COPY packages/platform/package.json packages/platform/
COPY packages/proto/package.json packages/proto/
COPY packages/protocol/package.json packages/protocol/
COPY packages/testing/package.json packages/testing/
COPY services/gateway/package.json services/gateway/
COPY services/rooms/package.json services/rooms/
COPY services/presence/package.json services/presence/
COPY services/media/package.json services/media/
COPY services/attestation/package.json services/attestation/
RUN --mount=type=cache,target=/root/.npm npm ci

COPY . .
# `npm run build` also writes the bundle's V8 code cache (dist/bundle/services.cjs.<hash>.build.v8cache,
# ADR 0101), made here with the runtime's Node: /app is read-only at run time, so a pod never saves one.
RUN npm run build \
 && npm prune --omit=dev --omit=optional \
 && rm -rf node_modules/.cache \
 && find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete

# ---------------------------------------------------------------------------
# runtime: production node_modules + compiled output, non-root, read-only code
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG CREATED=unknown
# Build args, so CI stamps them: --build-arg VERSION=$(git describe) REVISION=$(git rev-parse HEAD) ...
ARG SOURCE=
LABEL org.opencontainers.image.title="switchboard" \
      org.opencontainers.image.description="Switchboard signaling and real-time backend: gateway, rooms, presence, media, attestation and the migration runner" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="docker.io/library/node:20-bookworm-slim"
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_update_notifier=false

# Fixed ids so Kubernetes can check runAsNonRoot (values.yaml runs as 10001).
RUN groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin switchboard

# Files stay owned by root: the app user can read but not modify its code.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
COPY --from=build /app/services ./services
COPY --from=build /app/dist ./dist
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/proto ./proto

USER 10001:10001
# gateway 8080; rooms/presence/media/attestation http 9101-9104, grpc 50051-50054
EXPOSE 8080 9101 9102 9103 9104 50051 50052 50053 50054

CMD ["node", "-e", "console.log(['Switchboard: one image for every process. Run one of:', '  node dist/bundle/gateway.mjs             WebSocket /ws + admin REST (HTTP_PORT 8080)', '  node dist/bundle/rooms.mjs               rooms, chat, floor (HTTP 9101, gRPC 50051)', '  node dist/bundle/presence.mjs            presence, relays, rendezvous (9102, 50052)', '  node dist/bundle/media.mjs               calls, TURN, LiveKit (9103, 50053)', '  node dist/bundle/attestation.mjs         attestation, versions (9104, 50054)', '  node scripts/db-migrate.mjs              apply database migrations', 'Configuration is read from the environment; see docs/operations.md.'].join('\\n'))"]
