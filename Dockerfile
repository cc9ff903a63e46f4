# Tickflow application image: actor hosts, edges and the simulator all run from it
# (`tickflow host|edge|sim`); docker-compose.yml starts each with its own command.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build:ui && ln -s /app/ops/bin/tickflow.mjs /usr/local/bin/tickflow
ENV NODE_ENV=production
ENTRYPOINT []
CMD ["tickflow", "--help"]
