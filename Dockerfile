# syntax=docker/dockerfile:1
# Build: docker build -t halftime .
# Run:   docker run -p 3000:3000 -v halftime-data:/data halftime
#        (add -v $PWD/halftime.yaml:/config/halftime.yaml -e HALFTIME_CONFIG=/config/halftime.yaml for your own monitors)

FROM node:22-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native addon: compile it if no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY examples ./examples
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production \
    HALFTIME_HOST=0.0.0.0 \
    HALFTIME_PORT=3000 \
    HALFTIME_DB=/data/halftime.db
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HALFTIME_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/halftime.js"]
CMD ["serve"]
