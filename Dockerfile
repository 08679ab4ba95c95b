# syntax=docker/dockerfile:1
# LeakGuard: build with dev dependencies, run with production ones only, as a non-root user.
# Node 24 is an LTS line that better-sqlite3 12 builds on; the code also runs on Node >= 20.19.

FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds from source when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY detectors ./detectors
COPY responders ./responders
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production LEAKGUARD_HOST=0.0.0.0 LEAKGUARD_CONFIG=/etc/leakguard/leakguard.yaml LEAKGUARD_STORE_URL=/var/lib/leakguard/leakguard.db
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The shipped default rules, used when the config names no rulesFile.
COPY infra/examples/rules.yaml ./infra/examples/rules.yaml
# A default that protects nothing and lists no API tokens; mount the real config over it.
COPY infra/docker/leakguard.yaml /etc/leakguard/leakguard.yaml
RUN mkdir -p /var/lib/leakguard && chown node:node /var/lib/leakguard
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.LEAKGUARD_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "dist/src/main.js"]
CMD ["serve"]
