# Tickflow application image: actor hosts, edges and the simulator all run from it
# (`tickflow host|edge|sim`); docker-compose.yml starts each with its own command.
# Node 26 (active LTS) on Debian 13: exactly the lock (`npm ci`), then upstream
# uWebSockets.js for the edge, since no npm package carries a Node 26 uWS binary
# (README "Packages"; without it `tickflow edge` refuses to start unless
# EDGE_ALLOW_UWS_FALLBACK=true). Build with --build-arg UWS_UPSTREAM= to leave it out.
FROM node:26-trixie-slim
RUN apt-get update && apt-get install -y --no-install-recommends git ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
ARG UWS_UPSTREAM=github:uNetworking/uWebSockets.js#v20.67.0
RUN if [ -n "$UWS_UPSTREAM" ]; then npm install --no-save --no-audit --no-fund "uws-upstream@$UWS_UPSTREAM"; fi
COPY . .
RUN npm run build:ui && ln -s /app/ops/bin/tickflow.mjs /usr/local/bin/tickflow
ENV NODE_ENV=production
ENTRYPOINT []
CMD ["tickflow", "--help"]
