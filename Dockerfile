# The CSMS image used by docker-compose.yml: it runs the compiled CLI (dist/cli) and serves the
# bundled pages (dist/web); neither the TypeScript sources nor the build tools are in it.

# Build: every dependency (better-sqlite3 compiles from source here), then `npm ci` runs `prepare`,
# which writes dist/; then the devDependencies go, keeping the compiled native module.
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund

# Run: the same base image (the native module's libc), no compiler.
FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production PORT=3000 OCPP_PORT=9000
EXPOSE 3000 9000
STOPSIGNAL SIGTERM
CMD ["node", "bin/ev-csms.js", "serve"]
