# syntax=docker/dockerfile:1
# Build: docker build -t halftime .
#        docker build --build-arg BROWSER=1 -t halftime:browser .   (with Chromium, for browser monitors)
# Run:   docker run -p 3000:3000 -v halftime-data:/data --stop-timeout 30 \
#          -e HALFTIME_ADMIN_PASSWORD='a long passphrase' halftime
#        (add -v $PWD/halftime.yaml:/config/halftime.yaml:ro -e HALFTIME_CONFIG=/config/halftime.yaml
#        for your own monitors; README.md "Docker" has the rest)
# test/docker/runtime-layout.test.ts builds what the final stage copies and starts it: keep the two in step.

# The Node.js major the tests run on (CI: Node 20).
ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile the TypeScript to dist/. Dev dependencies, no install scripts: compiling needs nothing native.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY examples ./examples
RUN npm run build

# 2. Production dependencies only, with better-sqlite3's binary and none of its build files
#    (scripts/runtime-deps.mjs). The compilers are there only for when no prebuilt binary fits this
#    platform; this stage is not shipped.
FROM ${NODE_IMAGE} AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/runtime-deps.mjs ./scripts/
RUN node scripts/runtime-deps.mjs /app && npm cache clean --force

# 3. The image: Node, tini as init, the compiled build and the production dependencies, run as `node`.
#    --build-arg BROWSER=1 adds Debian's Chromium (and a font) for browser monitors: about 0.5 GB more
#    (README.md "Browser journeys"). Without it, browser monitors report "Chromium not found" on
#    /healthz and in their runs; HTTP monitors are not affected.
FROM ${NODE_IMAGE}
ARG BROWSER=0
RUN apt-get update && apt-get install -y --no-install-recommends tini \
      $(if [ "$BROWSER" = "1" ]; then echo chromium fonts-liberation; fi) \
    && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    HALFTIME_CHROMIUM=/usr/bin/chromium \
    HALFTIME_HOST=0.0.0.0 \
    HALFTIME_PORT=3000 \
    HALFTIME_DB=/data/halftime.db
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HALFTIME_PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# halftime finishes in-flight checks on SIGTERM within its grace period (server.shutdownGrace, 8 s by default), inside
# Docker's default stop timeout of 10 s; give `docker stop` more for a longer grace (docker run --stop-timeout 30, docker stop -t 30).
STOPSIGNAL SIGTERM
ENTRYPOINT ["tini", "--", "node", "bin/halftime.js"]
CMD ["serve"]
