# One image for every matchq service; the compose file picks the service by command.
# The build stage turns the TypeScript into plain JavaScript (npm run build); the image ships
# that and the production dependencies only, and runs `node`, with no TypeScript loader.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY core ./core
COPY common ./common
# The wire module the services import lives in the SDK package.
COPY packages/client/src ./packages/client/src
COPY services ./services
COPY cli ./cli
COPY migrations ./migrations
RUN npm run build

FROM node:20-bookworm-slim AS app
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 8080 9101 9102 9103
# Healthy = ready (GET /readyz: connected to all it needs), on the gateway's PORT or a service's METRICS_PORT.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.METRICS_PORT || process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs the service itself (no npm in between), so `docker stop`'s SIGTERM reaches it.
CMD ["node", "dist/services/producer/main.js"]

# `npm run provision` needs rabbitmqctl, which needs Erlang: the broker's own image, with Node
# and matchq added. It runs once, talks to the broker node over Erlang distribution (cookie).
FROM rabbitmq:3.13 AS provision
COPY --from=app /usr/local/bin/node /usr/local/bin/node
COPY --from=app /app /app
WORKDIR /app
ENV NODE_ENV=production
ENTRYPOINT []
CMD ["node", "dist/cli/provision.js"]
