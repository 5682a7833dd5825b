# The CSMS image used by docker-compose.yml. better-sqlite3 compiles from source here.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: `prepare` bundles the pages from src/, which is not copied yet. Only the native
# module and esbuild's binary need their install scripts.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY bin ./bin
COPY src ./src
RUN npm run build:web
ENV NODE_ENV=production PORT=3000 OCPP_PORT=9000
EXPOSE 3000 9000
STOPSIGNAL SIGTERM
CMD ["node", "bin/ev-csms.js", "serve"]
