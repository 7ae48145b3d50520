FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client libarchive-tools ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev=false --no-audit --no-fund
COPY . .
# Compiled worker (bin/tmig-worker.js runs dist/ when it is fresh): less memory, faster start than tsx.
# bin/tmig-worker sets the malloc and V8 settings a process must start with (see there).
RUN node scripts/build.mjs --force
CMD ["bin/tmig-worker"]
