# One image for every matchq service; the compose file picks the service by command.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
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
USER node
EXPOSE 8080 9101 9102 9103
CMD ["npm", "run", "producer"]
