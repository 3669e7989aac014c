# syntax=docker/dockerfile:1
# alertgate worker image: build stage compiles TypeScript; the runtime stage is a slim LTS Node with
# production dependencies only, running as the unprivileged `node` user.
#
#   docker build -t alertgate .
#   docker run --rm -v "$PWD/rules:/etc/alertgate/rules:ro" -e ALERTGATE_KAFKA_BROKERS=kafka:9092 alertgate
#
# Rules are read from /etc/alertgate/rules (mount your own there); configuration comes from
# ALERTGATE_* environment variables or a config file mounted at /etc/alertgate/config.yaml and passed
# with `--config` (docs/configuration.md).

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped here: `prepare` would build before the sources are copied.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/bundle.mjs ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    ALERTGATE_RULES=/etc/alertgate/rules \
    ALERTGATE_HTTP_HOST=0.0.0.0 \
    ALERTGATE_HTTP_PORT=9464
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY --chown=node:node rules /etc/alertgate/rules
USER node
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ALERTGATE_HTTP_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/alertgate.js", "run"]
